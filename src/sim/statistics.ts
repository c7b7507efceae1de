// Output analysis for the simulator: the measured interactions are split by arrival time into
// consecutive batches, and the spread of the batch results estimates the standard error of the
// whole run (the method of batch means). Waits of successive interactions are correlated, so the
// spread of single waits would understate it; batches much longer than a handle time are nearly
// independent.

export interface Batch {
  /** Interactions that arrived in this batch's slice of the measurement window. */
  offered: number;
  answered: number;
  answeredWithinThreshold: number;
  abandoned: number;
  /** The sum of the answered ones' waits, in seconds. */
  totalWaitSeconds: number;
  /** The sum of the answered ones' handle times, in seconds: the work this batch brought. */
  totalHandleSeconds: number;
}

export function emptyBatch(): Batch {
  return { offered: 0, answered: 0, answeredWithinThreshold: 0, abandoned: 0, totalWaitSeconds: 0, totalHandleSeconds: 0 };
}

export function mean(values: readonly number[]): number {
  let sum = 0;
  for (const value of values) sum += value;
  return sum / values.length;
}

/**
 * The standard error of the mean of `values` treated as independent samples: the sample
 * standard deviation over √k. NaN with fewer than two values.
 */
export function standardError(values: readonly number[]): number {
  if (values.length < 2) return Number.NaN;
  const average = mean(values);
  let squares = 0;
  for (const value of values) squares += (value - average) ** 2;
  return Math.sqrt(squares / (values.length - 1) / values.length);
}

/** Per batch: the service level and average speed of answer of its answered interactions (batches with none are left out). */
export function batchMeans(batches: readonly Batch[]): { serviceLevels: number[]; averageSpeedsOfAnswer: number[]; abandonmentRates: number[] } {
  const serviceLevels: number[] = [];
  const averageSpeedsOfAnswer: number[] = [];
  const abandonmentRates: number[] = [];
  for (const batch of batches) {
    if (batch.answered > 0) {
      serviceLevels.push(batch.answeredWithinThreshold / batch.answered);
      averageSpeedsOfAnswer.push(batch.totalWaitSeconds / batch.answered);
    }
    if (batch.offered > 0) abandonmentRates.push(batch.abandoned / batch.offered);
  }
  return { serviceLevels, averageSpeedsOfAnswer, abandonmentRates };
}
