/**
 * The viewer page's header: the folder and its devices with their frame counts and rates.
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
      const type = String(d.metadata?.deviceType ?? (d.camera ? "camera" : "Miniscope"));
      item.textContent = `${d.name} (${type}): ${d.samples} frames, ${d.shape[1]}x${d.shape[0]}, ${
        d.frequency.toFixed(2)
      } Hz, ${d.drops?.count ?? 0} dropped`;
      return item;
    }));
  };
}
