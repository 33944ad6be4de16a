/**
 * What `nntk reproduce gauss-newton` found, in sentences computed from its numbers (docs/MATH.md section
 * 6.1): whether each claim holds on these data, and where it does not.
 */
import type { ConditioningResult, DampingResult, DampingRule } from './gauss-newton-types.js';

const RULE_NAMES: Record<DampingRule, string> = {
  gd: 'gradient descent',
  fixed: 'Levenberg-Marquardt with fixed damping',
  'gain-ratio': 'Levenberg-Marquardt with gain-ratio damping',
  'curvature-aware': 'Levenberg-Marquardt with curvature-aware damping',
};

function g(value: number): string {
  if (!Number.isFinite(value)) return String(value);
  return Math.abs(value) >= 1e-2 && Math.abs(value) < 1e4 ? String(Number(value.toPrecision(3))) : value.toExponential(1).replace('e+', 'e');
}

/** |slope| of log(rate) against log(condition) below which a rate counts as flat. */
export const FLAT_SLOPE = 0.1;

export function conditioningFindings(a: ConditioningResult, floorRatio: number): string[] {
  const out: string[] = [];
  const conditions = a.runs.map((r) => r.condition);
  const lo = Math.min(...conditions);
  const hi = Math.max(...conditions);
  // The rank is trustworthy when lambda_r stands well above lambda_(r+1) (rounding level when the rank is right).
  const gap = Math.min(...a.runs.map((r) => 1 / (r.condition * Math.max(r.pastRank, Number.MIN_VALUE))));
  out.push(`The ${a.runs.length} data sets span condition numbers of J₀ᵀJ₀ / M from ${g(lo)} to ${g(hi)} (${g(Math.log10(hi / lo))} decades). ` +
    `The eigenvalues past the rank are at most ${g(Math.max(...a.runs.map((r) => r.pastRank)))} of the largest, and λ_r stands at least ${g(gap)} times above them` +
    (gap >= 100 ? ', so the rank and the condition number are resolved.' : ': the largest condition numbers are near the rounding level and only bound the true ones from below.'));
  const gn = a.points.filter((p) => p.method === 'gauss-newton');
  const gd = a.points.filter((p) => p.method === 'gd');
  const range = (ps: typeof gn): [number, number] => {
    const m = ps.map((p) => p.rate.mean).filter(Number.isFinite);
    return [Math.min(...m), Math.max(...m)];
  };
  const [gnLo, gnHi] = range(gn);
  const gnSlope = a.slopes['gauss-newton'];
  const gdSlope = a.slopes.gd;
  const reference = gn[0]?.reference ?? Number.NaN;
  out.push(`Gauss-Newton: mean rates per spread between ${g(gnLo)} and ${g(gnHi)} per iteration (theory ${g(reference)}); ` +
    `log-log slope against the condition number ${g(gnSlope)}: ${Math.abs(gnSlope) < FLAT_SLOPE ? 'flat, as claimed' : 'not flat, so the claim does not hold on these data'}.`);
  const first = gd[0];
  const last = gd.at(-1);
  if (first && last) {
    out.push(`Gradient descent: the mean rate goes from ${g(first.rate.mean)} at condition ${g(first.condition)} to ${g(last.rate.mean)} at ${g(last.condition)}; ` +
      `log-log slope ${g(gdSlope)} (${gdSlope < -FLAT_SLOPE ? 'falling, as claimed' : 'not falling, so the claim does not hold on these data'}; the linearized theory's 2η λ_r falls with slope −1). ` +
      describeAgainstTheory(gd.map((p) => p.rate.mean / p.reference)));
    const ratio = gn.map((p, k) => p.rate.mean / (gd[k]?.rate.mean ?? Number.NaN));
    out.push(`Gauss-Newton is ${g(Math.min(...ratio))} to ${g(Math.max(...ratio))} times faster per iteration than gradient descent across the spreads.`);
  }
  const failed = a.runs.filter((r) => {
    const m = r.methods.find((q) => q.method === 'gauss-newton')!;
    return !(m.finalLoss <= floorRatio * m.initialLoss);
  });
  if (failed.length === 0) {
    out.push(`Every Gauss-Newton run reached ${g(floorRatio)} of its initial loss.`);
  } else {
    const spreads = [...new Set(failed.map((r) => r.spread))];
    out.push(`Where the claim does not hold: ${failed.length} of ${a.runs.length} Gauss-Newton runs did not reach ${g(floorRatio)} of their initial loss ` +
      `(spreads ${spreads.join(', ')}; final losses ${failed.slice(0, 4).map((r) => g(r.methods.find((q) => q.method === 'gauss-newton')!.finalLoss)).join(', ')}${failed.length > 4 ? ', ...' : ''}): ` +
      'their losses stop falling well above the floor, so the run settled at a point other than the teacher (with P < M the loss has stationary ' +
      'points of nonzero loss, and an almost undamped step can land near one); their small rates pull the means down and widen the intervals at those spreads.');
  }
  return out;
}

/** GD's fitted rate over the linearized theory's 2 eta lambda_r, per spread, in words. */
function describeAgainstTheory(ratios: number[]): string {
  const r = ratios.filter(Number.isFinite);
  if (r.length === 0) return 'No GD rate could be fitted.';
  const lo = Math.min(...r);
  const hi = Math.max(...r);
  const close = r.filter((v) => v >= 0.5 && v <= 2).length;
  let why = '';
  if (lo < 0.5) why += ' Where it is slower, the late window has left the linear regime: the symmetric start leaves directions of J with zero eigenvalue that only the nonlinear dynamics open, at their own slow pace.';
  if (hi > 2) why += ' Where it is faster, the target puts little weight on the smallest mode, so the fit sees faster modes than the slowest.';
  return `Its fitted rate is ${g(lo)} to ${g(hi)} times the theory's 2η λ_r (within a factor 2 at ${close} of ${r.length} spreads).${why}`;
}

export function dampingFindings(b: DampingResult, floorRatio: number): string[] {
  const out: string[] = [];
  const M = b.rules[0]?.modeRatios.length ?? 0;
  const lambdaMins = b.ntkEigenvalues.map((e) => e.at(-1)!);
  out.push(`The initial NTK Gram has condition number ${g(b.condition)} (geometric mean over seeds; smallest eigenvalue ${g(Math.min(...lambdaMins))} to ${g(Math.max(...lambdaMins))}).`);
  for (const r of b.rules) {
    const stops = Object.entries(r.terminations).map(([k, v]) => `${v} ${k}`).join(', ');
    out.push(`${RULE_NAMES[r.rule]}: ${r.converged} of ${r.seeds} seeds reached ${g(floorRatio)} of the initial loss; loss reduced ${g(1 / r.lossRatio)}-fold ` +
      `(geometric mean); late-time rate ${g(r.rate.mean)} per iteration [${g(r.rate.ci95[0])}, ${g(r.rate.ci95[1])}]; ${r.modesLearned} of ${M} NTK modes reduced at least 1000-fold; runs ended: ${stops}.`);
  }
  const lm = b.rules.filter((r) => r.rule !== 'gd');
  const robust = lm.filter((r) => r.converged === r.seeds);
  out.push(robust.length > 0
    ? `Robust on these data (every seed converged): ${robust.map((r) => RULE_NAMES[r.rule]).join('; ')}.`
    : 'No Levenberg-Marquardt rule converged on every seed.');
  const ca = b.rules.find((r) => r.rule === 'curvature-aware');
  if (ca && ca.converged < ca.seeds) {
    const epsilon = (b.setting as { epsilon?: number }).epsilon ?? 1;
    out.push(`Where the claim does not hold: the curvature-aware rule converged on ${ca.converged} of ${ca.seeds} seeds. Its damping ε λ_min(B_t) ` +
      `starts at ${g(epsilon * Math.min(...lambdaMins))} to ${g(epsilon * Math.max(...lambdaMins))} (ε = ${epsilon}), at or below the 1e-12 floor, so its steps are ` +
      'essentially undamped Gauss-Newton steps that overshoot along the small-eigenvalue modes; on an NTK this ill-conditioned the schedule does not supply the damping the analysis assumes.');
  }
  const fixed = b.rules.find((r) => r.rule === 'fixed');
  if (fixed && fixed.converged < fixed.seeds) {
    const stuck = b.runs.filter((r) => r.rule === 'fixed' && !r.records.some((q) => q.loss <= floorRatio * r.records[0]!.loss));
    out.push(`Fixed damping converged on ${fixed.converged} of ${fixed.seeds} seeds; it takes every step whether or not the loss falls, and the other seeds end at losses ` +
      `${stuck.map((r) => g(r.finalLoss)).join(', ')} (initial ${g(stuck[0]?.records[0]?.loss ?? Number.NaN)}).`);
  }
  return out;
}
