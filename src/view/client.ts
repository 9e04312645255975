/**
 * The viewer page's script. {@linkcode viewerPage} runs in the browser: the server sends its
 * source text (the compiled function) as `/app.js`, so it is type-checked with the package and
 * needs no build step. It must not refer to anything outside its own body and its parameter.
 *
 * @module
 */

import type { drawIntervals as DrawIntervals } from "./client_intervals.ts";

/**
 * Runs the viewer page: fetches the recording's facts and wires the controls.
 *
 * @param drawIntervals The plot under the scrubber, sent beside this function.
 */
export function viewerPage(drawIntervals: typeof DrawIntervals): void {
  interface Gap {
    afterSample: number;
    missing: number;
    intervalMs?: number;
  }
  interface DeviceInfo {
    id: number;
    name: string;
    camera: boolean;
    channels: number;
    samples: number;
    shape: [number, number];
    frequency: number;
    files: { name: string; firstSample: number; frames: number }[];
    drops: { count: number; medianIntervalMs: number; gaps: Gap[] } | null;
    metadata: Record<string, unknown> | null;
  }
  interface Info {
    folder: string;
    session: Record<string, unknown> | null;
    devices: DeviceInfo[];
  }
  /**
   * Pixels of one picture, row-major: gray values for a gray device, RGBA for a colour camera
   * (whatever the content of the picture: a colour frame may happen to be gray).
   */
  type Picture =
    & { width: number; height: number }
    & ({ gray: Uint8ClampedArray; rgba: null } | { gray: null; rgba: Uint8ClampedArray });

  const $ = <T extends HTMLElement>(id: string): T => {
    const element = document.getElementById(id);
    if (!element) throw new Error(`The page has no element #${id}`);
    return element as T;
  };

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

  /**
   * Shows pictures on a canvas at native size, zoomed by CSS, with the value under the mouse.
   * With `contrast`, gray pictures go through the contrast limits and the colour map, colour
   * pictures through the same limits on each channel; without, pictures are shown as they are.
   */
  class View {
    readonly canvas: HTMLCanvasElement;
    readonly contrast: boolean;
    picture: Picture | null = null;
    constructor(canvas: HTMLCanvasElement, readout: HTMLElement, contrast: boolean) {
      this.canvas = canvas;
      this.contrast = contrast;
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
      this.canvas.style.width = `${width * zoom}px`;
      const image = new ImageData(width, height);
      if (picture.rgba) {
        // Colour cameras are shown in their own colours: a colour map has no place there.
        image.data.set(picture.rgba);
        if (this.contrast) {
          const data = image.data;
          for (let i = 0; i < data.length; i += 4) {
            data[i] = levels[data[i]!]!;
            data[i + 1] = levels[data[i + 1]!]!;
            data[i + 2] = levels[data[i + 2]!]!;
          }
        }
      } else {
        const { gray } = picture;
        const out = new Uint32Array(image.data.buffer);
        const map = this.contrast ? lut : grayLut;
        for (let i = 0; i < gray.length; i++) out[i] = map[gray[i]!]!;
      }
      this.canvas.getContext("2d")!.putImageData(image, 0, 0);
    }
  }

  /** Frames of one device: a bounded cache and one request at a time, the latest wins. */
  class Frames {
    readonly device: number;
    readonly colour: boolean;
    readonly cache = new Map<number, Picture>();
    wanted = -1;
    busy = false;
    onFrame: (index: number, picture: Picture) => void = () => {};
    constructor(device: DeviceInfo) {
      this.device = device.id;
      this.colour = device.channels === 3;
    }
    show(index: number): void {
      this.wanted = index;
      const cached = this.cache.get(index);
      if (cached) {
        this.cache.delete(index);
        this.cache.set(index, cached);
        this.onFrame(index, cached);
        return;
      }
      if (!this.busy) void this.fetch(index);
    }
    async fetch(index: number): Promise<void> {
      this.busy = true;
      let ok = true;
      try {
        const picture = await decodePng(
          await fetch(`api/frames/${index}?device=${this.device}&ahead=${direction}`),
          this.colour,
        );
        this.cache.set(index, picture);
        if (this.cache.size > 256) this.cache.delete(this.cache.keys().next().value!);
        if (index === this.wanted) this.onFrame(index, picture);
      } catch (error) {
        ok = false;
        status(String(error));
      } finally {
        this.busy = false;
      }
      if (!ok) return;
      if (!this.cache.has(this.wanted)) void this.fetch(this.wanted);
      else this.ahead(index);
    }
    /** Fetches a few frames ahead in the direction of travel while nothing else is asked. */
    ahead(index: number): void {
      const next = index + direction;
      const samples = info.devices[this.device]?.samples ?? 0;
      if (next < 0 || next >= samples || this.busy || Math.abs(next - this.wanted) > 4) return;
      if (this.cache.has(next)) this.ahead(next);
      else void this.fetch(next);
    }
  }

  const status = (message: string) => {
    $("status").textContent = message;
    if (message) console.error(message);
  };

  let info: Info = { folder: "", session: null, devices: [] };
  let times = new Float64Array(0);
  let zoom = 1;
  let lut = lookup("gray", 0, 255);
  const grayLut = lut;
  /** The contrast limits as a map of each value, for the channels of colour pictures. */
  let levels = Uint8Array.from(lut, (entry) => entry & 0xff);
  let current = 0;
  let direction = 1;
  let playing = false;

  async function start(): Promise<void> {
    info = await (await fetch("api/info")).json();
    const main = info.devices[0]!;
    times = Float64Array.from((await (await fetch("api/timestamps?device=0")).json()).timestamps);
    document.title = `${main.name}: ${info.folder}`;
    $("folder").textContent = info.folder;
    $("devices").replaceChildren(...info.devices.map((d) => {
      const item = document.createElement("li");
      const type = String(d.metadata?.deviceType ?? (d.camera ? "camera" : "Miniscope"));
      item.textContent = `${d.name} (${type}): ${d.samples} frames, ${d.shape[1]}x${d.shape[0]}, ${
        d.frequency.toFixed(2)
      } Hz, ${d.drops?.count ?? 0} dropped`;
      return item;
    }));
    const view = new View($("frame"), $("pixel-value"), true);
    const colour = main.channels === 3;
    const scrubber = $<HTMLInputElement>("scrubber");
    scrubber.max = String(main.samples - 1);
    const frames = new Frames(main);
    frames.onFrame = (index, picture) => {
      view.draw(picture);
      current = index;
      $("frame-index").textContent = String(index);
      $("frame-time").textContent = `${(times[index] ?? NaN).toFixed(3)} s`;
      const file = main.files.find((f) =>
        index >= f.firstSample && index < f.firstSample + f.frames
      );
      $("frame-file").textContent = file ? `${file.name}, frame ${index - file.firstSample}` : "";
      scrubber.value = String(index);
      $("cursor").style.left = `${(index / Math.max(1, main.samples - 1)) * 100}%`;
      camera?.follow(times[index] ?? 0);
    };
    const go = (index: number) => {
      const k = Math.max(0, Math.min(main.samples - 1, Math.round(index)));
      direction = k >= frames.wanted ? 1 : -1;
      frames.show(k);
    };

    // Contrast and colour map.
    const low = $<HTMLInputElement>("contrast-min");
    const high = $<HTMLInputElement>("contrast-max");
    const map = $<HTMLSelectElement>("colormap");
    if (colour) {
      map.disabled = true;
      map.title = "A colour camera is shown in its own colours";
    }
    const views: View[] = [view];
    const redraw = () => {
      lut = lookup(map.value, Number(low.value), Number(high.value));
      levels = Uint8Array.from(
        lookup("gray", Number(low.value), Number(high.value)),
        (entry) => entry & 0xff,
      );
      for (const v of views) v.draw();
    };
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
    $("contrast-auto").addEventListener("click", autoContrast);
    $("contrast-full").addEventListener("click", () => {
      low.value = "0";
      high.value = "255";
      redraw();
    });
    $<HTMLSelectElement>("zoom").addEventListener("input", (event) => {
      zoom = Number((event.target as HTMLSelectElement).value);
      for (const v of views) v.draw();
    });

    // Behaviour camera: the frame nearest in time to the Miniscope's; none beside itself.
    const cameraInfo = info.devices.find((d) => d.camera && d.id !== main.id);
    let camera: { follow: (time: number) => void } | null = null;
    if (cameraInfo) {
      const cameraTimes = Float64Array.from(
        (await (await fetch(`api/timestamps?device=${cameraInfo.id}`)).json()).timestamps,
      );
      const cameraView = new View($("camera"), $("pixel-value"), false);
      const cameraFrames = new Frames(cameraInfo);
      $("camera-panel").hidden = false;
      $("camera-name").textContent = cameraInfo.name;
      cameraFrames.onFrame = (index, picture) => {
        cameraView.draw(picture);
        $("camera-index").textContent = `frame ${index}, ${
          (cameraTimes[index] ?? NaN).toFixed(3)
        } s`;
      };
      camera = {
        follow(time: number) {
          cameraFrames.show(nearest(cameraTimes, time));
        },
      };
      views.push(cameraView);
    }

    // Projections, computed once on the server.
    const projections: Record<string, View> = {
      mean: new View($("mean"), $("pixel-value"), true),
      max: new View($("max"), $("pixel-value"), true),
    };
    views.push(projections.mean!, projections.max!);
    let projectionsReady: Promise<void> | null = null;
    const computeProjections = () =>
      projectionsReady ??= (async () => {
        const progress = $<HTMLProgressElement>("projection-progress");
        progress.hidden = false;
        // The server wants this page's Origin on a POST; under the page's no-referrer policy the
        // Fetch standard has browsers send "null" instead.
        let s = await (await fetch("api/projections?device=0", {
          method: "POST",
          referrerPolicy: "same-origin",
        })).json();
        while (s.state === "running") {
          progress.max = s.total;
          progress.value = s.done;
          await new Promise((resolve) => setTimeout(resolve, 250));
          s = await (await fetch("api/projections?device=0")).json();
        }
        progress.hidden = true;
        if (s.state !== "done") throw new Error(`Projections failed: ${s.error}`);
        for (const kind of ["mean", "max"]) {
          projections[kind]!.draw(
            await decodePng(await fetch(`api/projections/${kind}?device=0`), colour),
          );
        }
      })();
    for (const kind of ["mean", "max"]) {
      $<HTMLInputElement>(`show-${kind}`).addEventListener("change", (event) => {
        const on = (event.target as HTMLInputElement).checked;
        $(`${kind}-panel`).hidden = !on;
        if (on) computeProjections().catch((error) => status(String(error)));
      });
    }

    // Time stamp intervals under the scrubber, dropped frames marked; a click jumps.
    drawIntervals({ times, samples: main.samples, drops: main.drops, go });

    // Scrubber, keys, play.
    scrubber.addEventListener("input", () => go(Number(scrubber.value)));
    const speed = $<HTMLSelectElement>("speed");
    const play = $<HTMLButtonElement>("play");
    let clock = { wall: 0, time: 0 };
    const tick = () => {
      if (!playing) return;
      const target = clock.time + ((performance.now() - clock.wall) / 1000) * Number(speed.value);
      const k = nearestAtOrBefore(times, target);
      if (k >= main.samples - 1) {
        go(main.samples - 1);
        setPlaying(false);
        return;
      }
      if (k !== frames.wanted) go(k);
      requestAnimationFrame(tick);
    };
    const setPlaying = (on: boolean) => {
      playing = on && current < main.samples - 1;
      play.textContent = playing ? "Pause" : "Play";
      if (playing) {
        clock = { wall: performance.now(), time: times[current] ?? 0 };
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
      const from = frames.wanted < 0 ? current : frames.wanted;
      const actions: Record<string, () => void> = {
        ArrowRight: () => go(from + step),
        ArrowLeft: () => go(from - step),
        Home: () => go(0),
        End: () => go(main.samples - 1),
        " ": () => setPlaying(!playing),
      };
      const action = actions[event.key];
      if (!action) return;
      event.preventDefault();
      if (event.key !== " ") setPlaying(false);
      action();
    });

    go(0);
  }

  /** The index of the last time at or before `t` (0 before the first). */
  function nearestAtOrBefore(values: Float64Array, t: number): number {
    let lo = 0, hi = values.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (values[mid]! <= t) lo = mid;
      else hi = mid - 1;
    }
    return lo;
  }

  /** The index of the time nearest to `t`. */
  function nearest(values: Float64Array, t: number): number {
    const k = nearestAtOrBefore(values, t);
    const next = Math.min(values.length - 1, k + 1);
    return Math.abs(values[next]! - t) < Math.abs(values[k]! - t) ? next : k;
  }

  start().catch((error) => status(`Cannot show the recording: ${error}`));
}
