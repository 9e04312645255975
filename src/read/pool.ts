/**
 * Runs asynchronous jobs with a bound on how many run at once.
 *
 * @module
 */

/**
 * Runs every job, at most `limit` at a time. When one fails, no further job starts, the
 * shared signal is aborted so running jobs can stop early, and the first error is thrown once
 * all started jobs have settled.
 *
 * @param jobs Functions that start one job each; they receive a signal to stop early.
 * @param limit The most jobs running at once (at least 1).
 * @param signal An outer signal that stops everything.
 */
export async function runPool(
  jobs: ((signal: AbortSignal) => Promise<void>)[],
  limit: number,
  signal?: AbortSignal,
): Promise<void> {
  const controller = new AbortController();
  const onAbort = () => controller.abort(signal?.reason);
  signal?.addEventListener("abort", onAbort, { once: true });
  if (signal?.aborted) onAbort();
  let next = 0;
  let failure: { error: unknown } | undefined;
  const worker = async () => {
    while (next < jobs.length && !failure && !controller.signal.aborted) {
      const job = jobs[next++]!;
      try {
        await job(controller.signal);
      } catch (error) {
        failure ??= { error };
        controller.abort(error);
      }
    }
  };
  try {
    await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, jobs.length)) }, worker));
  } finally {
    signal?.removeEventListener("abort", onAbort);
  }
  if (failure) throw failure.error;
  signal?.throwIfAborted();
}
