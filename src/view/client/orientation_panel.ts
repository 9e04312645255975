/**
 * The viewer page's head orientation, for a device with `headOrientation.csv`: yaw, pitch and
 * roll over the whole recording as a plot under the interval plot, a cursor at the frame shown,
 * and at the frame shown a dial (a needle for yaw, a horizon for pitch and roll) with the
 * angles of the row nearest in time. A click on the plot shows the frame at that place.
 *
 * The angles are the Z-Y-X (Tait-Bryan) angles of each row's unit quaternion `w, x, y, z`, in
 * degrees: yaw about z, then pitch about y, then roll about x.
 *
 * Runs in the browser from its source text: it refers to nothing outside its own body and
 * parameter.
 *
 * @module
 */

import type { ClientModules, Panel } from "./types.ts";

/**
 * The head orientation panel.
 *
 * @param modules `common`.
 * @returns The panel.
 */
export function orientationPanel({ common }: Pick<ClientModules, "common">): Panel {
  return async ({ main, times, go, onShow }) => {
    if (!main.orientation) return;
    const answer = await fetch(`api/orientation?device=${main.id}`);
    const body = await answer.json();
    if (!answer.ok) {
      common.status(`Cannot show the head orientation: ${body.error}`);
      return;
    }
    const rowTimes = Float64Array.from(body.timestamps as number[]);
    const q = body.quaternions as (number | null)[];
    const rows = rowTimes.length;
    if (rows === 0) return;
    const degrees = 180 / Math.PI;
    // Yaw, pitch and roll of each row, in degrees.
    const angles = new Float64Array(rows * 3);
    for (let r = 0; r < rows; r++) {
      const [w, x, y, z] = [0, 1, 2, 3].map((c) => q[r * 4 + c] ?? NaN) as [
        number,
        number,
        number,
        number,
      ];
      angles[r * 3] = Math.atan2(2 * (w * z + x * y), 1 - 2 * (y * y + z * z)) * degrees;
      angles[r * 3 + 1] = Math.asin(Math.max(-1, Math.min(1, 2 * (w * y - z * x)))) * degrees;
      angles[r * 3 + 2] = Math.atan2(2 * (w * x + y * z), 1 - 2 * (x * x + y * y)) * degrees;
    }
    common.element("orientation-panel").hidden = false;
    const n = main.samples;
    // A time's place among the frames, as a fractional frame index.
    const place = (t: number): number => {
      if (n < 2 || t <= times[0]!) return 0;
      const k = common.nearestAtOrBefore(times, t);
      if (k >= n - 1) return n - 1;
      const span = times[k + 1]! - times[k]!;
      return span > 0 ? k + Math.min(1, (t - times[k]!) / span) : k;
    };
    const height = 80;
    const plot = common.timePlot("orientation-plot", "orientation-box", height, n);
    const { canvas, context, width, x: xOf } = plot;
    const yOf = (angle: number) => height / 2 - (angle / 180) * (height / 2 - 6);
    context.strokeStyle = "#ddd";
    context.beginPath();
    context.moveTo(0, yOf(0));
    context.lineTo(width, yOf(0));
    context.stroke();
    const colours = ["#1f77b4", "#2ca02c", "#d62728"];
    const names = ["yaw", "pitch", "roll"];
    const xs = Float64Array.from(rowTimes, (t) => xOf(place(t)));
    for (let a = 0; a < 3; a++) {
      context.strokeStyle = colours[a]!;
      context.beginPath();
      let drawing = false;
      for (let r = 0; r < rows; r++) {
        const value = angles[r * 3 + a]!;
        if (!Number.isFinite(value)) {
          drawing = false;
          continue;
        }
        if (drawing) context.lineTo(xs[r]!, yOf(value));
        else context.moveTo(xs[r]!, yOf(value));
        drawing = true;
      }
      context.stroke();
    }
    context.font = "10px sans-serif";
    names.forEach((name, a) => {
      context.fillStyle = colours[a]!;
      context.fillText(name, 4 + a * 40, 10);
    });
    context.fillStyle = "#666";
    context.fillText("head orientation, ° (±180)", 124, 10);
    canvas.addEventListener("click", (event) => {
      const bounds = canvas.getBoundingClientRect();
      go(((event.clientX - bounds.left) / bounds.width) * (n - 1));
    });

    const dial = common.element<HTMLCanvasElement>("orientation-dial");
    const readout = common.element("orientation-readout");
    const cursor = common.element("orientation-cursor");
    const drawDial = (yaw: number, pitch: number, roll: number) => {
      const g = dial.getContext("2d")!;
      const size = dial.width, r = size / 2 - 2;
      g.clearRect(0, 0, size, size);
      g.save();
      g.translate(size / 2, size / 2);
      g.beginPath();
      g.arc(0, 0, r, 0, 2 * Math.PI);
      g.fillStyle = "#fff";
      g.fill();
      g.strokeStyle = "#999";
      g.stroke();
      if (Number.isFinite(yaw + pitch + roll)) {
        // The horizon: tilted by the roll, moved by the pitch.
        g.save();
        g.rotate(-roll / degrees);
        g.strokeStyle = "#2ca02c";
        const lift = (pitch / 90) * r;
        g.beginPath();
        g.moveTo(-r * 0.8, lift);
        g.lineTo(r * 0.8, lift);
        g.stroke();
        g.restore();
        // The needle: yaw, counter-clockwise from up.
        g.rotate(-yaw / degrees);
        g.strokeStyle = "#1f77b4";
        g.lineWidth = 2;
        g.beginPath();
        g.moveTo(0, 0);
        g.lineTo(0, -r * 0.9);
        g.stroke();
      }
      g.restore();
    };
    onShow((index) => {
      cursor.style.left = `${(index / Math.max(1, n - 1)) * 100}%`;
      // The row nearest in time, whatever the order of the rows.
      const t = times[index]!;
      let row = 0;
      for (let r = 1; r < rows; r++) {
        if (Math.abs(rowTimes[r]! - t) < Math.abs(rowTimes[row]! - t)) row = r;
      }
      const [yaw, pitch, roll] = [0, 1, 2].map((a) => angles[row * 3 + a]!) as [
        number,
        number,
        number,
      ];
      const away = Math.round((rowTimes[row]! - t) * 1000);
      readout.dataset.row = String(row);
      const said = Number.isFinite(yaw + pitch + roll)
        ? `yaw ${yaw.toFixed(1)}°, pitch ${pitch.toFixed(1)}°, roll ${roll.toFixed(1)}°`
        : "no orientation (the IMU gave none)";
      readout.textContent = `head: ${said}` +
        (away === 0 ? "" : ` (row ${away > 0 ? "+" : ""}${away} ms from the frame)`);
      drawDial(yaw, pitch, roll);
    });
  };
}
