// The probability distributions the simulator draws from: exponential gaps between arrivals and
// patience, and handle times that are exponential, constant or lognormal with a given mean.

import type { Random } from './random.js';

export const handleDistributions = ['exponential', 'constant', 'lognormal'] as const;
export type HandleDistribution = (typeof handleDistributions)[number];

/** Draws one value; the unit is the caller's (the simulator uses seconds). */
export type Sampler = () => number;

/** Exponential with the given mean: memoryless, the M of M/M/c. */
export function exponential(random: Random, mean: number): Sampler {
  return () => -Math.log(random.next()) * mean;
}

/** A standard normal draw (Box–Muller; one of the pair is used, which keeps the stream simple). */
export function standardNormal(random: Random): number {
  return Math.sqrt(-2 * Math.log(random.next())) * Math.cos(2 * Math.PI * random.next());
}

/**
 * Lognormal with the given mean and coefficient of variation (standard deviation over mean).
 * Handle times in contact centres are skewed this way: most are near the median, a few are very
 * long. With X = e^(m + s·Z): s² = ln(1 + cv²) and m = ln(mean) − s²/2 give E[X] = mean.
 */
export function lognormal(random: Random, mean: number, coefficientOfVariation: number): Sampler {
  const variance = Math.log(1 + coefficientOfVariation * coefficientOfVariation);
  const scale = Math.sqrt(variance);
  const location = Math.log(mean) - variance / 2;
  return () => Math.exp(location + scale * standardNormal(random));
}

export function handleTimeSampler(distribution: HandleDistribution, mean: number, random: Random, coefficientOfVariation: number): Sampler {
  switch (distribution) {
    case 'exponential': return exponential(random, mean);
    case 'constant': return () => mean;
    case 'lognormal': return lognormal(random, mean, coefficientOfVariation);
  }
}
