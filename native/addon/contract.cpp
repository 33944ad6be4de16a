#include "contract.hpp"

#include <string>

#include "core/activation.hpp"
#include "core/failure.hpp"
#include "core/loss.hpp"
#include "core/model.hpp"
#include "core/step.hpp"
#include "core/training.hpp"

namespace nntk::glue {
namespace {

template <typename E>
void addEnum(Napi::Env env, Napi::Object& enums) {
  auto names = Napi::Array::New(env);
  std::uint32_t k = 0;
  for (const NamedValue<E>& v : EnumNames<E>::values) names.Set(k++, Napi::String::New(env, std::string(v.name)));
  enums.Set(std::string(EnumNames<E>::kind), names);
}

Napi::Value Contract(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  auto enums = Napi::Object::New(env);
  addEnum<Activation>(env, enums);
  addEnum<Curvature>(env, enums);
  addEnum<Spectrum>(env, enums);
  addEnum<SolverKind>(env, enums);
  addEnum<Factorization>(env, enums);
  addEnum<Method>(env, enums);
  addEnum<Damping>(env, enums);
  addEnum<Termination>(env, enums);
  addEnum<LossKind>(env, enums);
  addEnum<ErrorCode>(env, enums);
  auto limits = Napi::Object::New(env);
  limits.Set("maxParameterCount", static_cast<double>(kMaxParameterCount));
  limits.Set("maxDataValues", static_cast<double>(kMaxDataValues));
  auto out = Napi::Object::New(env);
  out.Set("enums", enums);
  out.Set("limits", limits);
  return out;
}

}  // namespace

void registerContract(Napi::Env env, Napi::Object exports) { exports.Set("contract", Napi::Function::New(env, Contract)); }

}  // namespace nntk::glue
