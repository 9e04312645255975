/**
 * The viewer page's ways through the frames: the scrubber, the keys (left and right one frame,
 * ten with shift, Home and End, space to play) and playing at the recorded rate times the speed
 * chosen.
 *
 * Runs in the browser from its source text: it refers to nothing outside its own body and
 * parameter.
 *
 * @module
 */

import type { ClientModules, Panel } from "./types.ts";

/**
 * The playback panel.
 *
 * @param modules `common`.
 * @returns The panel.
 */
export function playbackPanel({ common }: Pick<ClientModules, "common">): Panel {
  return ({ main, times, frames, go, current, onShow }) => {
    const last = main.samples - 1;
    const scrubber = common.element<HTMLInputElement>("scrubber");
    scrubber.max = String(last);
    scrubber.addEventListener("input", () => go(Number(scrubber.value)));
    onShow((index) => void (scrubber.value = String(index)));
    const speed = common.element<HTMLSelectElement>("speed");
    const play = common.element<HTMLButtonElement>("play");
    let playing = false;
    let clock = { wall: 0, time: 0 };
    const tick = () => {
      if (!playing) return;
      const target = clock.time + ((performance.now() - clock.wall) / 1000) * Number(speed.value);
      const k = common.nearestAtOrBefore(times, target);
      if (k >= last) {
        go(last);
        setPlaying(false);
        return;
      }
      if (k !== frames.wanted) go(k);
      requestAnimationFrame(tick);
    };
    const setPlaying = (on: boolean) => {
      playing = on && current() < last;
      play.textContent = playing ? "Pause" : "Play";
      if (playing) {
        clock = { wall: performance.now(), time: times[current()] ?? 0 };
        requestAnimationFrame(tick);
      }
    };
    speed.addEventListener("input", () => setPlaying(playing));
    play.addEventListener("click", () => setPlaying(!playing));
    document.addEventListener("keydown", (event) => {
      const target = event.target as HTMLElement;
      if (target.tagName === "SELECT" || (target.tagName === "INPUT" && target !== scrubber)) {
        return;
      }
      const step = event.shiftKey ? 10 : 1;
      const from = frames.wanted < 0 ? current() : frames.wanted;
      const actions: Record<string, () => void> = {
        ArrowRight: () => go(from + step),
        ArrowLeft: () => go(from - step),
        Home: () => go(0),
        End: () => go(last),
        " ": () => setPlaying(!playing),
      };
      const action = actions[event.key];
      if (!action) return;
      event.preventDefault();
      if (event.key !== " ") setPlaying(false);
      action();
    });
  };
}
