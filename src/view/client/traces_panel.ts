/**
 * The viewer page's region traces: a drag on the frame draws a rectangle (an ellipse with shift,
 * or with the shape menu), whose mean over the recording the server computes; each region's
 * outline on the frame and its trace in the plot under it share a colour. The plot marks the
 * frame shown and a click on it shows the frame at that place; each region has its progress, a
 * CSV link and a remove button (which stops its computation).
 *
 * Runs in the browser from its source text: it refers to nothing outside its own body and
 * parameter.
 *
 * @module
 */

import type { ClientModules, Panel } from "./types.ts";

/**
 * The traces panel.
 *
 * @param modules `common`.
 * @returns The panel.
 */
export function tracesPanel({ common }: Pick<ClientModules, "common">): Panel {
  return async ({ main, go, onShow, current }) => {
    const COLOURS = ["#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#17becf", "#bcbd22", "#8c564b"];
    const [rows, cols] = main.shape;
    const frame = common.element<HTMLCanvasElement>("frame");
    const overlay = common.element<HTMLCanvasElement>("regions");
    const shape = common.element<HTMLSelectElement>("region-shape");
    const plot = common.element<HTMLCanvasElement>("trace-plot");
    const list = common.element("trace-list");
    const section = common.element("traces");
    // Outlines are drawn finer than the frame's pixels.
    const scale = 4;
    overlay.width = cols * scale;
    overlay.height = rows * scale;
    interface Trace {
      id: string;
      colour: string;
      region: { rect?: number[]; ellipse?: number[] };
      values: Float64Array | null;
      item: HTMLLIElement;
      removed: boolean;
    }
    const traces: Trace[] = [];
    let used = 0;
    let dragging: { x: number; y: number; ellipse: boolean; to: [number, number] } | null = null;

    const pixelAt = (event: MouseEvent): [number, number] => {
      const box = frame.getBoundingClientRect();
      return [
        Math.min(cols, Math.max(0, ((event.clientX - box.left) / box.width) * cols)),
        Math.min(rows, Math.max(0, ((event.clientY - box.top) / box.height) * rows)),
      ];
    };
    /** The region dragged: its bounding box on whole pixels, within the frame. */
    const regionOf = (d: NonNullable<typeof dragging>) => {
      const x0 = Math.floor(Math.min(d.x, d.to[0])), x1 = Math.ceil(Math.max(d.x, d.to[0]));
      const y0 = Math.floor(Math.min(d.y, d.to[1])), y1 = Math.ceil(Math.max(d.y, d.to[1]));
      if (x1 - x0 < 1 || y1 - y0 < 1) return null;
      return d.ellipse
        ? { ellipse: [(x0 + x1) / 2, (y0 + y1) / 2, (x1 - x0) / 2, (y1 - y0) / 2] }
        : { rect: [x0, y0, x1 - x0, y1 - y0] };
    };
    const outline = (
      context: CanvasRenderingContext2D,
      region: Trace["region"],
      colour: string,
    ) => {
      context.strokeStyle = colour;
      context.lineWidth = 2;
      context.beginPath();
      if (region.rect) {
        const [x, y, w, h] = region.rect.map((v) => v * scale) as [number, number, number, number];
        context.rect(x, y, w, h);
      } else if (region.ellipse) {
        const [cx, cy, rx, ry] = region.ellipse.map((v) => v * scale) as [
          number,
          number,
          number,
          number,
        ];
        context.ellipse(cx, cy, rx, ry, 0, 0, 2 * Math.PI);
      }
      context.stroke();
    };
    const drawOverlay = () => {
      const context = overlay.getContext("2d")!;
      context.clearRect(0, 0, overlay.width, overlay.height);
      for (const trace of traces) outline(context, trace.region, trace.colour);
      const region = dragging && regionOf(dragging);
      if (region) outline(context, region, COLOURS[used % COLOURS.length]!);
    };

    const width = Math.max(200, section.parentElement!.clientWidth - 4);
    const height = 120;
    plot.width = width;
    plot.height = height;
    const n = main.samples;
    const xOf = (k: number) => Math.round((k / Math.max(1, n - 1)) * (width - 1));
    const drawPlot = () => {
      const context = plot.getContext("2d")!;
      context.fillStyle = "#fff";
      context.fillRect(0, 0, width, height);
      const done = traces.filter((t) => t.values);
      let low = Infinity, high = -Infinity;
      for (const t of done) {
        for (const v of t.values!) {
          if (Number.isFinite(v)) (low = Math.min(low, v)), (high = Math.max(high, v));
        }
      }
      if (!(high > low)) (high = Number.isFinite(low) ? low + 1 : 1), (low = high - 2);
      const yOf = (v: number) =>
        Math.round(height - 4 - ((v - low) / (high - low)) * (height - 18));
      context.fillStyle = "#666";
      context.font = "10px sans-serif";
      context.fillText(
        done.length ? `region mean (${low.toFixed(1)} to ${high.toFixed(1)})` : "region mean",
        4,
        10,
      );
      // Whole-pixel rectangles, so each trace is drawn in exactly its colour.
      // A mean that is not finite is a gap.
      for (const t of done) {
        context.fillStyle = t.colour;
        let previous: number | null = null;
        for (let k = 0; k < n; k++) {
          const v = t.values![k]!;
          if (!Number.isFinite(v)) {
            previous = null;
            continue;
          }
          const y = yOf(v);
          const x = xOf(k), next = k + 1 < n ? xOf(k + 1) : x + 1;
          if (previous !== null) {
            context.fillRect(x, Math.min(y, previous), 2, Math.abs(y - previous) + 2);
          }
          context.fillRect(x, y, Math.max(2, next - x), 2);
          previous = y;
        }
      }
      context.fillStyle = "#e377c2";
      context.fillRect(xOf(current()), 0, 1, height);
    };

    const add = async (region: Trace["region"]) => {
      const answer = await fetch(`api/traces?device=${main.id}`, {
        method: "POST",
        // The server wants this page's Origin on a POST (see the projections panel).
        referrerPolicy: "same-origin",
        headers: { "content-type": "application/json" },
        body: JSON.stringify(region),
      });
      const body = await answer.json();
      if (!answer.ok) throw new Error(`Cannot trace the region: ${body.error}`);
      await follow(body.id, region);
    };

    /** Lists a trace of the server, and shows its progress, then its plot. */
    const follow = async (id: string, region: Trace["region"]) => {
      const colour = COLOURS[used++ % COLOURS.length]!;
      const item = document.createElement("li");
      item.dataset.trace = id;
      item.style.color = colour;
      const label = document.createElement("span");
      label.textContent = region.rect
        ? `rectangle ${region.rect.join(", ")}`
        : `ellipse ${region.ellipse!.join(", ")}`;
      const progress = document.createElement("progress");
      const link = document.createElement("a");
      link.textContent = "CSV";
      link.href = `api/traces/${id}.csv`;
      link.download = `trace_${id}.csv`;
      link.hidden = true;
      const remove = document.createElement("button");
      remove.type = "button";
      remove.textContent = "remove";
      const trace: Trace = { id, colour, region, values: null, item, removed: false };
      remove.addEventListener("click", async () => {
        trace.removed = true;
        traces.splice(traces.indexOf(trace), 1);
        item.remove();
        section.hidden = traces.length === 0;
        drawOverlay();
        drawPlot();
        await fetch(`api/traces/${trace.id}`, { method: "DELETE", referrerPolicy: "same-origin" });
      });
      item.append(label, " ", progress, " ", link, " ", remove);
      list.append(item);
      traces.push(trace);
      section.hidden = false;
      drawOverlay();
      drawPlot();
      for (;;) {
        const s = await (await fetch(`api/traces/${trace.id}`)).json();
        if (trace.removed) return;
        progress.max = s.total;
        progress.value = s.done;
        if (s.state === "done") {
          // Means that are not finite come as "NaN", "Infinity" or "-Infinity".
          trace.values = Float64Array.from(s.values as (number | string)[], Number);
          progress.hidden = true;
          link.hidden = false;
          item.dataset.state = "done";
          drawPlot();
          return;
        }
        if (s.state !== "running") throw new Error(`The trace failed: ${s.error}`);
        await new Promise((resolve) => setTimeout(resolve, 200));
      }
    };

    frame.addEventListener("mousedown", (event) => {
      if (event.button !== 0) return;
      event.preventDefault();
      const [x, y] = pixelAt(event);
      dragging = { x, y, ellipse: event.shiftKey || shape.value === "ellipse", to: [x, y] };
    });
    document.addEventListener("mousemove", (event) => {
      if (!dragging) return;
      dragging.to = pixelAt(event);
      drawOverlay();
    });
    document.addEventListener("mouseup", (event) => {
      if (!dragging) return;
      dragging.to = pixelAt(event);
      const region = regionOf(dragging);
      dragging = null;
      drawOverlay();
      if (region) add(region).catch((error) => common.status(String(error)));
    });
    plot.addEventListener("click", (event) => {
      const box = plot.getBoundingClientRect();
      go(((event.clientX - box.left) / box.width) * (n - 1));
    });
    onShow(() => drawPlot());
    // The traces kept by the server from before (a page reloaded) are listed again.
    const kept = await (await fetch(`api/traces?device=${main.id}`)).json();
    for (const t of kept.traces as { id: string; region: Trace["region"] }[]) {
      follow(t.id, t.region).catch((error) => common.status(String(error)));
    }
  };
}
