/**
 * The viewer page's pictures: PNG decoding, colour maps, and the views that show pictures on
 * canvases through the contrast limits and zoom every view shares.
 *
 * Runs in the browser from its source text: it refers to nothing outside its own body and
 * parameter.
 *
 * @module
 */

import type { ClientModules, Picture, Pictures, View } from "./types.ts";

/**
 * The pictures module.
 *
 * @param modules `common`.
 * @returns `decodePng`, the `View` class, `setContrast` and `setZoom`.
 */
export function picturesModule({ common }: Pick<ClientModules, "common">): Pictures {
  /** Decodes a PNG to its values, exactly: no colour management, no premultiplication. */
  const scratch = document.createElement("canvas").getContext("2d", { willReadFrequently: true })!;
  async function decodePng(response: Response, colour: boolean): Promise<Picture> {
    if (!response.ok) {
      const body = await response.json().catch(() => ({ error: response.statusText }));
      throw new Error(`${response.url}: ${response.status} ${body.error}`);
    }
    const bitmap = await createImageBitmap(await response.blob(), {
      colorSpaceConversion: "none",
      premultiplyAlpha: "none",
    });
    const { width, height } = bitmap;
    scratch.canvas.width = width;
    scratch.canvas.height = height;
    scratch.drawImage(bitmap, 0, 0);
    bitmap.close();
    const rgba = scratch.getImageData(0, 0, width, height).data;
    if (colour) return { width, height, gray: null, rgba };
    const gray = new Uint8ClampedArray(width * height);
    for (let i = 0; i < gray.length; i++) gray[i] = rgba[i * 4]!;
    return { width, height, gray, rgba: null };
  }

  /** Colour maps as 256 RGB entries, from a few control points. */
  const MAPS: Record<string, number[][]> = {
    gray: [[0, 0, 0], [255, 255, 255]],
    green: [[0, 0, 0], [0, 255, 64], [220, 255, 220]],
    hot: [[0, 0, 0], [230, 0, 0], [255, 210, 0], [255, 255, 255]],
    viridis: [[68, 1, 84], [59, 82, 139], [33, 145, 140], [94, 201, 98], [253, 231, 37]],
  };
  function lookup(map: string, low: number, high: number): Uint32Array {
    const points = MAPS[map] ?? MAPS.gray!;
    const lut = new Uint32Array(256);
    const span = Math.max(1, high - low);
    for (let v = 0; v < 256; v++) {
      const f = Math.min(1, Math.max(0, (v - low) / span)) * (points.length - 1);
      const i = Math.min(points.length - 2, Math.floor(f));
      const a = points[i]!, b = points[i + 1]!, t = f - i;
      const c = (k: number) => Math.round(a[k]! + (b[k]! - a[k]!) * t);
      lut[v] = (255 << 24 | c(2) << 16 | c(1) << 8 | c(0)) >>> 0;
    }
    return lut;
  }

  /** What every view shows through: the zoom, and the contrast limits as lookups. */
  const grayLut = lookup("gray", 0, 255);
  const display = {
    zoom: 1,
    /** The colour map through the contrast limits, for gray pictures. */
    lut: grayLut,
    /** The contrast limits as a map of each value, for the channels of colour pictures. */
    levels: Uint8Array.from(grayLut, (entry) => entry & 0xff),
  };
  const views: View[] = [];

  /**
   * Shows pictures on a canvas at native size, zoomed by CSS, with the value under the mouse.
   * With `contrast`, gray pictures go through the contrast limits and the colour map, colour
   * pictures through the same limits on each channel; without, pictures are shown as they are.
   */
  class CanvasView implements View {
    readonly canvas: HTMLCanvasElement;
    readonly contrast: boolean;
    picture: Picture | null = null;
    constructor(canvasId: string, readoutId: string, contrast: boolean) {
      const canvas = common.element<HTMLCanvasElement>(canvasId);
      const readout = common.element(readoutId);
      this.canvas = canvas;
      this.contrast = contrast;
      views.push(this);
      canvas.addEventListener("mousemove", (event) => {
        const p = this.picture;
        if (!p) return;
        const box = canvas.getBoundingClientRect();
        const x = Math.floor(((event.clientX - box.left) / box.width) * p.width);
        const y = Math.floor(((event.clientY - box.top) / box.height) * p.height);
        if (x < 0 || y < 0 || x >= p.width || y >= p.height) return;
        const at = y * p.width + x;
        readout.textContent = p.rgba
          ? `x ${x}, y ${y}: rgb ${p.rgba[at * 4]}, ${p.rgba[at * 4 + 1]}, ${p.rgba[at * 4 + 2]}`
          : `x ${x}, y ${y}: ${p.gray[at]}`;
      });
      canvas.addEventListener("mouseleave", () => (readout.textContent = ""));
    }
    draw(picture: Picture | null = this.picture): void {
      this.picture = picture;
      if (!picture) return;
      const { width, height } = picture;
      if (this.canvas.width !== width || this.canvas.height !== height) {
        this.canvas.width = width;
        this.canvas.height = height;
      }
      this.canvas.style.width = `${width * display.zoom}px`;
      const image = new ImageData(width, height);
      if (picture.rgba) {
        // Colour cameras are shown in their own colours: a colour map has no place there.
        image.data.set(picture.rgba);
        if (this.contrast) {
          const data = image.data;
          const levels = display.levels;
          for (let i = 0; i < data.length; i += 4) {
            data[i] = levels[data[i]!]!;
            data[i + 1] = levels[data[i + 1]!]!;
            data[i + 2] = levels[data[i + 2]!]!;
          }
        }
      } else {
        const { gray } = picture;
        const out = new Uint32Array(image.data.buffer);
        const map = this.contrast ? display.lut : grayLut;
        for (let i = 0; i < gray.length; i++) out[i] = map[gray[i]!]!;
      }
      this.canvas.getContext("2d")!.putImageData(image, 0, 0);
    }
  }

  /** Sets the contrast limits and the colour map of every view with contrast, and redraws. */
  function setContrast(map: string, low: number, high: number): void {
    display.lut = lookup(map, low, high);
    display.levels = Uint8Array.from(lookup("gray", low, high), (entry) => entry & 0xff);
    for (const view of views) view.draw();
  }

  /** Sets the zoom of every view, and redraws. */
  function setZoom(zoom: number): void {
    display.zoom = zoom;
    for (const view of views) view.draw();
  }

  return { decodePng, View: CanvasView, setContrast, setZoom };
}
