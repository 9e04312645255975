/**
 * The viewer page's mean and max projections of the main device: toggles that start the
 * computation on the server once, its progress, and the pictures through the contrast limits.
 *
 * Runs in the browser from its source text: it refers to nothing outside its own body and
 * parameter.
 *
 * @module
 */

import type { ClientModules, Panel, View } from "./types.ts";

/**
 * The projections panel.
 *
 * @param modules `common` and `pictures`.
 * @returns The panel.
 */
export function projectionsPanel(
  { common, pictures }: Pick<ClientModules, "common" | "pictures">,
): Panel {
  return ({ main }) => {
    const device = main.id;
    const colour = main.channels === 3;
    const views: Record<string, View> = {
      mean: new pictures.View("mean", "pixel-value", true),
      max: new pictures.View("max", "pixel-value", true),
    };
    let ready: Promise<void> | null = null;
    const compute = () =>
      ready ??= (async () => {
        await common.computeProjections(device);
        for (const kind of ["mean", "max"]) {
          views[kind]!.draw(
            await pictures.decodePng(
              await fetch(`api/projections/${kind}?device=${device}`),
              colour,
            ),
          );
        }
      })();
    for (const kind of ["mean", "max"]) {
      common.element<HTMLInputElement>(`show-${kind}`).addEventListener("change", (event) => {
        const on = (event.target as HTMLInputElement).checked;
        common.element(`${kind}-panel`).hidden = !on;
        if (on) compute().catch((error) => common.status(String(error)));
      });
    }
  };
}
