/**
 * The viewer page's header: the folder (or NWB file) and its devices (or series) with their
 * frame counts and rates, each a link that shows it in the main view.
 *
 * Runs in the browser from its source text: it refers to nothing outside its own body and
 * parameter.
 *
 * @module
 */

import type { ClientModules, Panel } from "./types.ts";

/**
 * The devices panel.
 *
 * @param modules `common`.
 * @returns The panel.
 */
export function devicesPanel({ common }: Pick<ClientModules, "common">): Panel {
  return ({ info, main }) => {
    document.title = `${main.name}: ${info.folder}`;
    common.element("folder").textContent = info.folder;
    common.element("devices").replaceChildren(...info.devices.map((d) => {
      const item = document.createElement("li");
      const series = d.series;
      const type = series
        ? series.type + (series.device ? ` of ${series.device}` : "")
        : String(d.metadata?.deviceType ?? (d.camera ? "camera" : "Miniscope"));
      const values = series
        ? `, ${series.dtype}` +
          (series.display
            ? `, ${series.display.low} to ${series.display.high} shown as 0 to 255`
            : "")
        : "";
      const link = document.createElement("a");
      link.href = `?device=${d.id}`;
      link.textContent = d.name;
      if (d.id === main.id) link.setAttribute("aria-current", "page");
      item.append(
        link,
        ` (${type}): ${d.samples} frames, ${d.shape[1]}x${d.shape[0]}, ${
          d.frequency.toFixed(2)
        } Hz, ${d.drops?.count ?? 0} dropped${values}`,
      );
      return item;
    }));
  };
}
