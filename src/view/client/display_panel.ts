/**
 * The viewer page's display controls: contrast limits (typed, `Auto` from the frame shown,
 * `0-255`), the colour map of gray pictures, and the zoom.
 *
 * Runs in the browser from its source text: it refers to nothing outside its own body and
 * parameter.
 *
 * @module
 */

import type { ClientModules, Panel } from "./types.ts";

/**
 * The display panel.
 *
 * @param modules `common` and `pictures`.
 * @returns The panel.
 */
export function displayPanel(
  { common, pictures }: Pick<ClientModules, "common" | "pictures">,
): Panel {
  return ({ main, view }) => {
    const low = common.element<HTMLInputElement>("contrast-min");
    const high = common.element<HTMLInputElement>("contrast-max");
    const map = common.element<HTMLSelectElement>("colormap");
    if (main.channels === 3) {
      map.disabled = true;
      map.title = "A colour camera is shown in its own colours";
    }
    const redraw = () => pictures.setContrast(map.value, Number(low.value), Number(high.value));
    const autoContrast = () => {
      const p = view.picture;
      if (!p) return;
      // Every channel counts: the limits apply to each.
      const histogram = new Uint32Array(256);
      if (p.gray) { for (const v of p.gray) histogram[v]!++; }
      else p.rgba.forEach((v, i) => i % 4 !== 3 && histogram[v]!++);
      const count = p.gray ? p.gray.length : (p.rgba.length / 4) * 3;
      const at = (share: number) => {
        let sum = 0;
        for (let v = 0; v < 256; v++) if ((sum += histogram[v]!) > share * count) return v;
        return 255;
      };
      low.value = String(at(0.005));
      high.value = String(Math.max(at(0.995), Number(low.value) + 1));
      redraw();
    };
    for (const element of [low, high, map]) element.addEventListener("input", redraw);
    common.element("contrast-auto").addEventListener("click", autoContrast);
    common.element("contrast-full").addEventListener("click", () => {
      low.value = "0";
      high.value = "255";
      redraw();
    });
    common.element<HTMLSelectElement>("zoom").addEventListener("input", (event) => {
      pictures.setZoom(Number((event.target as HTMLSelectElement).value));
    });
  };
}
