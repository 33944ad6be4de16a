/**
 * The one error class of nntk, thrown from TypeScript and from the native core alike (the addon
 * receives this constructor at load time and throws real instances of it). The codes are declared in
 * src/contract.ts, beside the core's table (native/core/failure.hpp).
 */
import { ERROR_CODES } from './contract.js';

export type NntkErrorCode = (typeof ERROR_CODES)[number];

export class NntkError extends Error {
  readonly code: NntkErrorCode;

  constructor(code: NntkErrorCode, message: string) {
    super(message);
    this.name = 'NntkError';
    this.code = (ERROR_CODES as readonly string[]).includes(code) ? code : 'E_INTERNAL';
  }
}
