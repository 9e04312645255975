/**
 * Stop signals turned into an abort, so the command line ends its work cleanly.
 *
 * @module
 */

/**
 * The signals that end the command line early: Ctrl-C, a closed terminal or SSH session, and the
 * polite stop of a process manager or a cluster's time limit.
 */
const STOP_SIGNALS: Deno.Signal[] = Deno.build.os === "windows"
  ? ["SIGINT", "SIGBREAK"]
  : ["SIGINT", "SIGTERM", "SIGHUP"];

/** How long a failure waits for a stop signal that may be on its way. */
const SIGNAL_GRACE_MS = 200;

/**
 * Turns a stop signal into an abort for the duration of `run`, so that temporary files are
 * removed and every ffmpeg is ended before the process exits.
 */
export async function withInterrupt<T>(run: (signal: AbortSignal) => Promise<T>): Promise<T> {
  const controller = new AbortController();
  const onStop = () => controller.abort(new Error("Interrupted"));
  for (const name of STOP_SIGNALS) Deno.addSignalListener(name, onStop);
  try {
    return await run(controller.signal);
  } catch (error) {
    // Ctrl-C in a terminal reaches ffmpeg as well, which may stop and fail the work before
    // the signal is delivered here: give it a moment, and say what really happened.
    if (!controller.signal.aborted) {
      await new Promise((resolve) => setTimeout(resolve, SIGNAL_GRACE_MS));
    }
    throw controller.signal.aborted ? controller.signal.reason : error;
  } finally {
    for (const name of STOP_SIGNALS) Deno.removeSignalListener(name, onStop);
  }
}
