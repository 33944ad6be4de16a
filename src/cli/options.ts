/**
 * Option parsers for the command line: each turns a flag's text into a value or throws commander's
 * InvalidArgumentError with what the flag accepts, which the program reports with exit code 2.
 */
import { InvalidArgumentError } from 'commander';

export function positiveInteger(max = Number.MAX_SAFE_INTEGER) {
  return (text: string): number => {
    const v = Number(text);
    if (!/^\d+$/.test(text.trim()) || !Number.isSafeInteger(v) || v < 1 || v > max) {
      throw new InvalidArgumentError(`expected an integer from 1 to ${max}`);
    }
    return v;
  };
}

export function nonNegativeInteger(text: string): number {
  const v = Number(text);
  if (!/^\d+$/.test(text.trim()) || !Number.isSafeInteger(v)) throw new InvalidArgumentError('expected an integer >= 0');
  return v;
}

/** A comma-separated list of numbers, each checked. */
export function numberList(what: string, check: (v: number) => boolean) {
  return (text: string): number[] => {
    const values = text.split(',').map((s) => s.trim()).filter(Boolean).map(Number);
    if (values.length === 0 || values.some((v) => !Number.isFinite(v) || !check(v))) {
      throw new InvalidArgumentError(`expected a comma-separated list of ${what}, e.g. ${what.includes('integer') ? '10,100,1000' : '1e-1,1e-3'}`);
    }
    return [...new Set(values)].sort((a, b) => a - b);
  };
}
