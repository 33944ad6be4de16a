// contract() -> { enums: { kind: [names...] }, limits: { ... } }: every enum table of the core (by
// name, in no meaningful order) and the size limits, so that test/contract.test.ts can compare them
// with the TypeScript declarations.
#pragma once
#include <napi.h>

namespace nntk::glue {

void registerContract(Napi::Env env, Napi::Object exports);

}  // namespace nntk::glue
