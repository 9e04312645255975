/**
 * The viewer page's ΔF/F display of a gray device: each frame relative to the mean projection,
 * `(F - F0) / F0` with F0 the exact mean of each pixel (0 where F0 is 0), shown through its own
 * symmetric limits `±range` on a diverging colour map (blue below the mean, white at it, red
 * above), so active cells stand out of the vignetted background. For an NWB series whose stored
 * values are not the 8-bit values shown, F and F0 are of the stored values (`/api/values` of the
 * frame shown, and the mean of the stored values). A value of F or F0 that is not a number shows
 * as 0.
 *
 * The colour of a value v is entry `round(t * 255)` of a 256-entry map, with
 * `t = clamp((v + range) / (2 * range), 0, 1)`; the map runs linearly from rgb(33, 102, 172) at 0
 * through rgb(247, 247, 247) at 127.5 to rgb(178, 24, 43) at 255, each channel rounded.
 *
 * Runs in the browser from its source text: it refers to nothing outside its own body and
 * parameter.
 *
 * @module
 */

import type { ClientModules, Panel } from "./types.ts";

/**
 * The ΔF/F panel.
 *
 * @param modules `common`.
 * @returns The panel.
 */
export function dffPanel({ common }: Pick<ClientModules, "common">): Panel {
  return ({ main, view, onShow, current }) => {
    const toggle = common.element<HTMLInputElement>("show-dff");
    const range = common.element<HTMLInputElement>("dff-range");
    if (main.channels !== 1) {
      toggle.disabled = true;
      range.disabled = true;
      toggle.parentElement!.title = "ΔF/F is shown for gray recordings";
      return;
    }
    const points = [[33, 102, 172], [247, 247, 247], [178, 24, 43]];
    const lut = new Uint32Array(256);
    for (let k = 0; k < 256; k++) {
      const f = (k / 255) * 2;
      const i = Math.min(1, Math.floor(f));
      const a = points[i]!, b = points[i + 1]!, t = f - i;
      const c = (j: number) => Math.round(a[j]! + (b[j]! - a[j]!) * t);
      lut[k] = (255 << 24 | c(2) << 16 | c(1) << 8 | c(0)) >>> 0;
    }
    let mean: Float64Array | null = null;
    let loading: Promise<void> | null = null;
    const load = () =>
      loading ??= (async () => {
        await common.computeProjections(main.id);
        const answer = await fetch(`api/projections/mean.f64?device=${main.id}`);
        if (!answer.ok) throw new Error(`The mean projection: ${answer.status}`);
        mean = new Float64Array(await answer.arrayBuffer());
      })();

    /** Paints F relative to the mean over the frame shown. */
    const paint = (f: ArrayLike<number | bigint>, width: number, height: number) => {
      const limit = Math.max(1e-6, Number(range.value) || 0);
      const image = new ImageData(width, height);
      const out = new Uint32Array(image.data.buffer);
      for (let i = 0; i < width * height; i++) {
        const f0 = mean![i]!;
        const ratio = (Number(f[i]!) - f0) / f0;
        const v = f0 === 0 || !Number.isFinite(ratio) ? 0 : ratio;
        const t = Math.min(1, Math.max(0, (v + limit) / (2 * limit)));
        out[i] = lut[Math.round(t * 255)]!;
      }
      view.canvas.getContext("2d")!.putImageData(image, 0, 0);
      view.canvas.dataset.mode = "dff";
    };
    // The stored values' type, where they are not the values shown.
    const stored = main.series?.display ? main.series.dtype : null;
    /** Paints the stored values of frame `index`, once they come, if it is still shown. */
    const paintStored = (index: number) => {
      common.storedValues(main.id, index, stored!).then((values) => {
        const picture = view.picture;
        if (!toggle.checked || !mean || !picture || current() !== index) return;
        paint(values, picture.width, picture.height);
      }, (error) => common.status(String(error)));
    };

    // The main view draws the frame through the contrast limits; in ΔF/F mode it is painted over.
    const plain = view.draw.bind(view);
    view.draw = (picture = view.picture) => {
      plain(picture);
      if (!toggle.checked || !mean || !picture?.gray || stored) return;
      paint(picture.gray, picture.width, picture.height);
    };
    if (stored) {
      onShow((index) => {
        if (toggle.checked && mean) paintStored(index);
      });
    }
    const redraw = () => {
      delete view.canvas.dataset.mode;
      view.draw();
      if (stored && toggle.checked && mean) paintStored(current());
    };
    toggle.addEventListener("change", () => {
      if (!toggle.checked) return redraw();
      load().then(redraw, (error) => common.status(String(error)));
    });
    range.addEventListener("input", redraw);
  };
}
