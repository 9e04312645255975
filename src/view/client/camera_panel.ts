/**
 * The viewer page's behaviour camera beside the Miniscope: the camera frame nearest in time to
 * the frame shown, in its own colours. A camera shown in the main view gets no second view.
 *
 * Runs in the browser from its source text: it refers to nothing outside its own body and
 * parameter.
 *
 * @module
 */

import type { ClientModules, Panel } from "./types.ts";

/**
 * The camera panel.
 *
 * @param modules `common`, `pictures` and `frames`.
 * @returns The panel.
 */
export function cameraPanel(
  { common, pictures, frames }: Pick<ClientModules, "common" | "pictures" | "frames">,
): Panel {
  return async ({ info, main, times, onShow }) => {
    const camera = info.devices.find((d) => d.camera && d.id !== main.id);
    if (!camera) return;
    const cameraTimes = await common.timestamps(camera.id);
    const view = new pictures.View("camera", "pixel-value", false);
    const cameraFrames = new frames.Frames(camera);
    common.element("camera-panel").hidden = false;
    common.element("camera-name").textContent = camera.name;
    cameraFrames.onFrame = (index, picture) => {
      view.draw(picture);
      common.element("camera-index").textContent = `frame ${index}, ${
        (cameraTimes[index] ?? NaN).toFixed(3)
      } s`;
    };
    onShow((index) => cameraFrames.show(common.nearest(cameraTimes, times[index] ?? 0)));
  };
}
