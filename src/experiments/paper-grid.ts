/**
 * The paper's experiments as data (docs/MATH.md section 6): the widths, regularizations, data sets and
 * training budgets of Figures 1-3/5, at the paper's scale and at a quick scale for demos and CI.
 */
import { createHash } from 'node:crypto';
import { type Dataset, datasets } from '../dataset.js';
import type { FigureCurvature, TrainingMethod } from '../report/types.js';

export const FIGURES = ['figure1', 'figure2', 'figure3'] as const;
export type FigureName = (typeof FIGURES)[number];
export type OneStepFigure = 'figure1' | 'figure2';
export const SCALES = ['quick', 'paper'] as const;
export type Scale = (typeof SCALES)[number];
export const CURVATURE_CHOICES = ['gauss-newton', 'newton', 'both'] as const;
export const LIMITS = ['exact', 'proxy'] as const;
export type LimitKind = (typeof LIMITS)[number];

/** beta of every experiment in the paper (1/2 < beta < 1). */
export const PAPER_BETA = 0.52;
export const PAPER_WIDTHS = [10, 20, 50, 100, 200, 500, 1e3, 2e3, 5e3, 1e4, 2e4, 5e4, 1e5, 2e5, 5e5, 1e6];
export const PAPER_GAMMAS = Array.from({ length: 10 }, (_, k) => Number(`1e-${k + 1}`));
/** The paper's infinite-width stand-in: one network of this width (--limit proxy). */
export const PROXY_WIDTH = 1e6;

export interface TrainingPlan {
  method: TrainingMethod;
  iterations: number;
  learningRate?: number;
}

export interface ScaleSettings {
  widths: number[];
  gammas: number[];
  /** Random networks per (width, gamma) for Figures 1-2. */
  trials: number;
  /** Seeds per method for Figure 3. */
  seeds: number;
  trainingWidth: number;
  training: TrainingPlan[];
}

/** Figure 3's methods with the paper's learning rates; the budgets depend on the scale. */
function trainingPlan(firstOrder: number, secondOrder: number): TrainingPlan[] {
  return [
    { method: 'gd', iterations: firstOrder, learningRate: 4.0 },
    { method: 'adam', iterations: firstOrder, learningRate: 0.01 },
    { method: 'gauss-newton', iterations: secondOrder },
    { method: 'newton', iterations: secondOrder },
  ];
}

export const SCALE_SETTINGS: Record<Scale, ScaleSettings> = {
  // The paper's grid: 16 widths x 10 gammas x 100 networks; 10 seeds (the paper: 100) of the four methods.
  paper: { widths: PAPER_WIDTHS, gammas: PAPER_GAMMAS, trials: 100, seeds: 10, trainingWidth: 1000, training: trainingPlan(100000, 10000) },
  // Every figure, every gamma, widths to 1e5, few networks and short runs: under a minute on 2 cores.
  quick: {
    widths: [10, 30, 100, 300, 1e3, 3e3, 1e4, 3e4, 1e5],
    gammas: PAPER_GAMMAS,
    trials: 8,
    seeds: 1,
    trainingWidth: 1000,
    training: trainingPlan(10000, 400),
  },
};

/** The data set of a figure: Figure 1 y = 2x + 0.4 sin(5 pi x), Figure 2 the same with sin(20 pi x), Figure 3 its own. */
export function figureDataset(figure: FigureName): Dataset {
  if (figure === 'figure1') return datasets.paperFigure1();
  if (figure === 'figure2') return datasets.paperFigure1({ frequency: 20 });
  return datasets.paperFigure3();
}

export function curvaturesOf(choice: (typeof CURVATURE_CHOICES)[number]): FigureCurvature[] {
  return choice === 'both' ? ['gauss-newton', 'newton'] : [choice];
}

/**
 * The seed of trial `trial` at width `width`: independent networks for every (width, trial), as in the
 * paper, and the same network for both figures and both curvatures. A pure function of its arguments
 * (48 bits of SHA-256), so that TwoLayerNet.create({ width, inputDim: 1, beta, seed }) rebuilds it anywhere.
 */
export function trialSeed(baseSeed: number, width: number, trial: number): number {
  const digest = createHash('sha256').update(`nntk-trial:${baseSeed}:${width}:${trial}`).digest();
  return digest.readUIntBE(0, 6);
}

/** Figure 3's runs use seeds baseSeed, baseSeed + 1, ...: seed 0 is the network of the paper's single-seed run. */
export function trainingSeed(baseSeed: number, k: number): number {
  return baseSeed + k;
}

/** The proxy network of --limit proxy. */
export function proxySeed(baseSeed: number): number {
  return trialSeed(baseSeed, PROXY_WIDTH, -1);
}
