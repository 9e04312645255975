/**
 * The viewer page's session notes on the time axis: a mark per row of `notes.csv` above the
 * scrubber and a line across the interval plot, each at the frame nearest the note's time,
 * its text shown on hover; a click shows that frame.
 *
 * Runs in the browser from its source text: it refers to nothing outside its own body and
 * parameter.
 *
 * @module
 */

import type { ClientModules, Panel } from "./types.ts";

/**
 * The notes panel.
 *
 * @param modules `common`.
 * @returns The panel.
 */
export function notesPanel({ common }: Pick<ClientModules, "common">): Panel {
  return ({ info, main, times, go }) => {
    const notes = (info.session?.notes ?? []) as {
      kind: string;
      timeStampMs: number;
      text?: string;
      device?: string;
      property?: string;
      value?: string;
    }[];
    const n = main.samples;
    const marks: HTMLElement[] = [];
    const lines: HTMLElement[] = [];
    for (const note of notes) {
      const k = common.nearest(times, note.timeStampMs / 1000);
      const text = note.kind === "note"
        ? `${note.timeStampMs} ms (frame ${k}): ${note.text}`
        : `${note.timeStampMs} ms (frame ${k}): ${note.device} ${note.property} = ${note.value}`;
      const left = `${(k / Math.max(1, n - 1)) * 100}%`;
      for (const [list, className] of [[marks, "note-mark"], [lines, "note-line"]] as const) {
        const mark = document.createElement("button");
        mark.type = "button";
        mark.className = className;
        mark.dataset.sample = String(k);
        mark.title = text;
        mark.style.left = left;
        mark.addEventListener("click", (event) => {
          event.stopPropagation();
          go(k);
        });
        list.push(mark);
      }
    }
    common.element("note-marks").replaceChildren(...marks);
    common.element("note-lines").replaceChildren(...lines);
  };
}
