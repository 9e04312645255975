import { join } from "node:path";
import { decode } from "fast-png";
import { MiniscopeImagingExtractor } from "../mod.ts";
import { startView } from "../src/view/server.ts";
import assert, { deepStrictEqual } from "node:assert/strict";
import {
  assertBytesEqual,
  containing,
  copyFixture,
  endingWith,
  ffmpegDecodeAll,
  ffmpegProcessesMentioning,
  MANY,
  removeCopy,
  runDenoScript,
  SAMPLE,
  startingWith,
  TESTDATA,
} from "./_helpers.ts";
import { CAMERA, cameraSession, rawExchange, rawRequest, withView } from "./_view.ts";

const SESSION = join(TESTDATA, "sample_session");
const COLOUR = ["MJPG", "XVID"].map((codec) => join(TESTDATA, "codecs", `colour_${codec}`));
const CLI = new URL("../src/cli.ts", import.meta.url).pathname;

/** Decodes a PNG with ffmpeg, independently of the PNG library the server uses. */
async function ffmpegPng(png: Uint8Array, pixelFormat = "gray"): Promise<Uint8Array> {
  const child = new Deno.Command("ffmpeg", {
    args: [
      "-nostdin",
      "-loglevel",
      "error",
      "-f",
      "png_pipe",
      "-i",
      "-",
      "-f",
      "rawvideo",
      "-pix_fmt",
      pixelFormat,
      "-",
    ],
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const writer = child.stdin.getWriter();
  await writer.write(png);
  await writer.close();
  const output = await child.output();
  if (!output.success) throw new Error(new TextDecoder().decode(output.stderr));
  return output.stdout;
}

async function errorOf(response: Response): Promise<string> {
  deepStrictEqual(response.headers.get("content-type"), "application/json; charset=utf-8");
  const body = await response.json();
  assert(typeof body.error === "string" && body.error.length > 0, JSON.stringify(body));
  return body.error;
}

Deno.test("view answers 401 to every request without the right token, and the page sets a cookie that works", async () => {
  await withView(SAMPLE, async (server) => {
    const base = `http://127.0.0.1:${server.port}`;
    for (
      const path of [
        "/",
        "/app.js",
        "/client/common.js",
        "/api/info",
        "/api/frames/0",
        "/api/timestamps",
        "/nope",
      ]
    ) {
      // A token one digit off: its last digit changed, whatever it was.
      const wrong = `${server.token.slice(0, -1)}${server.token.endsWith("0") ? "1" : "0"}`;
      for (const query of ["", "?token=", `?token=${wrong}`]) {
        const response = await fetch(`${base}${path}${query}`);
        deepStrictEqual(response.status, 401, `${path}${query}`);
        await errorOf(response);
      }
    }
    const page = await fetch(`${base}/?token=${server.token}`);
    deepStrictEqual(page.status, 200);
    assert.match(await page.text(), /id="frame-index"/);
    const cookie = page.headers.get("set-cookie")!.split(";")[0]!;
    assert.match(cookie, endingWith(`=${server.token}`));
    const info = await fetch(`${base}/api/info`, { headers: { cookie } });
    deepStrictEqual(info.status, 200);
    deepStrictEqual((await info.json()).devices[0].samples, 58);
    const otherPort = await fetch(`${base}/api/info`, {
      headers: { cookie: `miniscope_view_1=${server.token}` },
    });
    deepStrictEqual(otherPort.status, 401);
    await otherPort.body?.cancel();
    assert.match(server.url, startingWith(`http://127.0.0.1:${server.port}/?token=`));
    assert.match(server.token, /^[0-9a-f]{64}$/);
  });
});

Deno.test("GET /api/frames/{k} gives gray PNGs that decode to exactly the recording's frames", async () => {
  await withView(SAMPLE, async (_server, get) => {
    const extractor = await MiniscopeImagingExtractor.open({ folderPath: SAMPLE });
    const [rows, cols] = extractor.getImageShape();
    const expected = await ffmpegDecodeAll(extractor.getFilePaths());
    const n = extractor.getNumSamples();
    // Forward, backward and jumping, as a viewer moves.
    const order = [0, 1, 2, 57, 56, 30, 31, 29, 12, ...Array.from({ length: n }, (_, k) => k)];
    for (const k of order) {
      const response = await get(`/api/frames/${k}`);
      deepStrictEqual(response.status, 200, `frame ${k}`);
      deepStrictEqual(response.headers.get("content-type"), "image/png");
      const png = new Uint8Array(await response.arrayBuffer());
      const image = decode(png);
      deepStrictEqual([image.width, image.height, image.channels, image.depth], [cols, rows, 1, 8]);
      assertBytesEqual(
        image.data as Uint8Array,
        expected.subarray(k * rows * cols, (k + 1) * rows * cols),
        `frame ${k}`,
      );
      if (k === 57 || k === 30) {
        assertBytesEqual(
          await ffmpegPng(png),
          (await extractor.getSamples([k])).data,
          `frame ${k}`,
        );
      }
    }
  });
});

Deno.test("a video replaced after the viewer opened it gives an error naming it, never the frames kept from before", async () => {
  const copy = await copyFixture(SAMPLE);
  try {
    await withView(copy, async (_server, get) => {
      // Frame 3 and the window decoded with it, to its end in 2.avi, are kept.
      for (const k of [3, 50]) {
        const before = await get(`/api/frames/${k}`);
        deepStrictEqual(before.status, 200);
        await before.body?.cancel();
      }
      // Same shape, other frames: 1.avi's, written under a new name and moved over 0.avi.
      const video = join(copy, "0.avi");
      await Deno.copyFile(join(copy, "1.avi"), `${video}.new`);
      await Deno.rename(`${video}.new`, video);
      for (const k of [3, 4]) {
        const after = await get(`/api/frames/${k}`);
        const error = await errorOf(after);
        deepStrictEqual(after.status, 500, `frame ${k}: ${error}`);
        assert(error.includes(`"${video}"`), error);
        assert(error.includes("changed after the recording was opened"), error);
      }
      // The other files are still what they were.
      const later = await get("/api/frames/57");
      deepStrictEqual(later.status, 200);
      await later.body?.cancel();
    });
  } finally {
    await removeCopy(copy);
  }
});

Deno.test("bad frame and device indices give 400 or 404 with a JSON error, and the server goes on", async () => {
  await withView(SAMPLE, async (_server, get) => {
    const cases: [string, number][] = [
      ["/api/frames/58", 404],
      ["/api/frames/99999999", 404],
      ["/api/frames/99999999999999999999", 400],
      ["/api/frames/-1", 400],
      ["/api/frames/1.5", 400],
      ["/api/frames/1e3", 400],
      ["/api/frames/abc", 400],
      ["/api/frames/%20", 400],
      ["/api/frames/%E0%A4%A", 400],
      ["/api/frames/", 400],
      ["/api/frames", 404],
      ["/api/frames/0?device=1", 404],
      ["/api/frames/0?device=x", 400],
      ["/api/frames/0?ahead=2", 400],
      ["/api/timestamps?device=-1", 400],
      ["/api/projections/median", 404],
      ["/api/projections/mean", 409],
      ["/api/nothing", 404],
    ];
    for (const [path, status] of cases) {
      const response = await get(path);
      deepStrictEqual(response.status, status, path);
      await errorOf(response);
    }
    const post = await get("/api/frames/0", { method: "POST" });
    deepStrictEqual(post.status, 405);
    await errorOf(post);
    deepStrictEqual((await get("/api/frames/57")).status, 200);
  });
});

Deno.test("no path reaches a file, whatever its dots and encoded slashes", async () => {
  await withView(SAMPLE, async (server) => {
    const auth = { authorization: `token ${server.token}` };
    const paths = [
      "/../../../../etc/passwd",
      "/api/frames/../../../../etc/passwd",
      "/api/frames/..%2F..%2F..%2F..%2Fetc%2Fpasswd",
      "/api/frames/..%2f..%2fmetaData.json",
      "/%2e%2e/%2e%2e/%2e%2e/etc/passwd",
      "/api/%2e%2e/%2e%2e/etc/passwd",
      "/api/frames/0/../../../timeStamps.csv",
      "/api/frames/0%2F..%2F..%2FtimeStamps.csv",
      "//etc/passwd",
      "/timeStamps.csv",
      "/metaData.json",
      "/0.avi",
      "/Miniscope/0.avi",
      `/${SAMPLE}/timeStamps.csv`,
      "/api/frames/%00",
      "/api/frames/0%00.png",
      "/..\\..\\etc\\passwd",
      "/api/frames/..\\..\\timeStamps.csv",
    ];
    for (const path of paths) {
      const answer = await rawRequest(server.port, path, auth);
      assert(answer.status === 400 || answer.status === 404, `${path}: ${answer.status}`);
      assert.match(answer.body, /"error"/, `${path}: ${answer.body}`);
      for (const secret of ["root:", "Frame Number", "deviceType", "RIFF"]) {
        assert.doesNotMatch(answer.body, containing(secret), `${path} leaked ${secret}`);
      }
    }
  });
});

Deno.test("malformed requests and a slow client that never reads do not stop or block the server", async () => {
  await withView(MANY, async (server, get) => {
    const connections: Deno.Conn[] = [];
    try {
      for (
        const garbage of [
          "GARBAGE\r\n\r\n",
          "GET /api/info HTTP/1.1\r\nHost: 127.0.0.1\r\n" + "X: y\r\n".repeat(20000) + "\r\n",
          "GET /api/frames/0",
        ]
      ) {
        const connection = await Deno.connect({ hostname: "127.0.0.1", port: server.port });
        connections.push(connection);
        await connection.write(new TextEncoder().encode(garbage)).catch(() => 0);
      }
      // A client that asks for many frames and reads none of the answers.
      const slow = await Deno.connect({ hostname: "127.0.0.1", port: server.port });
      connections.push(slow);
      const request = (k: number) =>
        `GET /api/frames/${k % 24} HTTP/1.1\r\nHost: 127.0.0.1:${server.port}\r\n` +
        `Authorization: token ${server.token}\r\n\r\n`;
      await slow.write(
        new TextEncoder().encode(Array.from({ length: 200 }, (_, k) => request(k)).join("")),
      );
      // A blocked server would leave these unanswered: the guard turns that into a failure.
      const info = await get("/api/info", { signal: AbortSignal.timeout(120_000) });
      deepStrictEqual(info.status, 200);
      await info.body?.cancel();
      const frame = await get("/api/frames/23", { signal: AbortSignal.timeout(120_000) });
      deepStrictEqual(frame.status, 200);
      await frame.body?.cancel();
      const wrongHost = await rawRequest(server.port, "/api/info", {
        host: "evil.example:80",
        authorization: `token ${server.token}`,
      });
      deepStrictEqual(wrongHost.status, 403);
      assert.match(wrongHost.body, /is not this server/);
    } finally {
      for (const connection of connections) connection.close();
    }
  });
});

Deno.test("info and timestamps describe the recording: files, frame counts, the dropped frame", async () => {
  await withView(SAMPLE, async (_server, get) => {
    const extractor = await MiniscopeImagingExtractor.open({ folderPath: SAMPLE });
    const info = await (await get("/api/info")).json();
    deepStrictEqual(info.session, null);
    deepStrictEqual(info.devices.length, 1);
    const device = info.devices[0];
    deepStrictEqual(device.name, "Miniscope");
    deepStrictEqual(device.samples, 58);
    deepStrictEqual(device.shape, [40, 48]);
    deepStrictEqual(device.frequency, extractor.getSamplingFrequency());
    deepStrictEqual(device.files, [
      { name: "0.avi", firstSample: 0, frames: 24 },
      { name: "1.avi", firstSample: 24, frames: 24 },
      { name: "2.avi", firstSample: 48, frames: 10 },
    ]);
    deepStrictEqual(device.drops.count, 1);
    deepStrictEqual(device.drops.gaps[0].afterSample, 30);
    deepStrictEqual(device.metadata.deviceType, "Miniscope_V4_BNO");
    const { timestamps } = await (await get("/api/timestamps")).json();
    deepStrictEqual(timestamps, Array.from(extractor.getTimestamps()));
  });
});

Deno.test("projections are computed once on request, with progress, and equal the mean and max of the frames", async () => {
  await withView(SAMPLE, async (_server, get) => {
    const idle = await (await get("/api/projections")).json();
    deepStrictEqual(idle, { state: "idle", done: 0, total: 58 });
    const started = await get("/api/projections", { method: "POST" });
    deepStrictEqual(started.status, 202);
    assert.match((await started.json()).state, /^(running|done)$/);
    let status = await (await get("/api/projections")).json();
    while (status.state === "running") {
      assert(status.done <= status.total, JSON.stringify(status));
      await new Promise((resolve) => setTimeout(resolve, 20));
      status = await (await get("/api/projections")).json();
    }
    deepStrictEqual(status, { state: "done", done: 58, total: 58 });
    const frames = await ffmpegDecodeAll(
      (await MiniscopeImagingExtractor.open({ folderPath: SAMPLE })).getFilePaths(),
    );
    const size = 40 * 48;
    const mean = new Uint8Array(size);
    const max = new Uint8Array(size);
    for (let i = 0; i < size; i++) {
      let sum = 0;
      for (let k = 0; k < 58; k++) {
        const v = frames[k * size + i]!;
        sum += v;
        max[i] = Math.max(max[i]!, v);
      }
      mean[i] = Math.round(sum / 58);
    }
    for (const [kind, expected] of [["mean", mean], ["max", max]] as const) {
      const response = await get(`/api/projections/${kind}`);
      deepStrictEqual(response.status, 200);
      const image = decode(new Uint8Array(await response.arrayBuffer()));
      assertBytesEqual(image.data as Uint8Array, expected, kind);
    }
    // A second request does not start again.
    const again = await (await get("/api/projections", { method: "POST" })).json();
    deepStrictEqual(again.state, "done");
  });
});

/** Starts the projections and waits until they are computed. */
async function computeProjections(
  get: (path: string, init?: RequestInit) => Promise<Response>,
): Promise<void> {
  const started = await get("/api/projections", { method: "POST" });
  deepStrictEqual(started.status, 202);
  let status = await started.json();
  while (status.state === "running") {
    await new Promise((resolve) => setTimeout(resolve, 20));
    status = await (await get("/api/projections")).json();
  }
  deepStrictEqual(status.state, "done", JSON.stringify(status));
}

/** The mean (rounded) and max of each byte over `frames` frames of `size` bytes. */
function meanAndMax(frames: Uint8Array, size: number): { mean: Uint8Array; max: Uint8Array } {
  const n = frames.length / size;
  const mean = new Uint8Array(size);
  const max = new Uint8Array(size);
  for (let i = 0; i < size; i++) {
    let sum = 0;
    for (let k = 0; k < n; k++) {
      const v = frames[k * size + i]!;
      sum += v;
      max[i] = Math.max(max[i]!, v);
    }
    mean[i] = Math.round(sum / n);
  }
  return { mean, max };
}

for (const folder of COLOUR) {
  Deno.test(`the projections of a colour camera (${folder.split("_").pop()}) are RGB: the mean and max of each channel of ffmpeg's rgb24 decode`, async () => {
    await withView(folder, async (_server, get) => {
      const info = await (await get("/api/info")).json();
      deepStrictEqual([info.devices[0].camera, info.devices[0].channels], [true, 3]);
      const [rows, cols] = info.devices[0].shape;
      const paths =
        (await MiniscopeImagingExtractor.open({ folderPath: folder, pixelFormat: "rgb24" }))
          .getFilePaths();
      const frames = await ffmpegDecodeAll(paths, "rgb24");
      const size = rows * cols * 3;
      deepStrictEqual(frames.length, info.devices[0].samples * size);
      const expected = meanAndMax(frames, size);
      await computeProjections(get);
      for (const kind of ["mean", "max"] as const) {
        const response = await get(`/api/projections/${kind}`);
        deepStrictEqual(response.status, 200);
        const png = new Uint8Array(await response.arrayBuffer());
        const image = decode(png);
        deepStrictEqual([image.width, image.height, image.channels, image.depth], [
          cols,
          rows,
          3,
          8,
        ]);
        assertBytesEqual(image.data as Uint8Array, expected[kind], `${kind} (fast-png)`);
        assertBytesEqual(await ffmpegPng(png, "rgb24"), expected[kind], `${kind} (ffmpeg)`);
      }
    });
  });
}

Deno.test("a Host that is not exactly 127.0.0.1:PORT gets 403, never 500, and the server goes on", async () => {
  await withView(SAMPLE, async (server, get) => {
    const port = server.port;
    const auth = { authorization: `token ${server.token}` };
    const hosts = [
      `127.0.0.1:${port}.evil.com`,
      `127.0.0.1:${port}.`,
      "127.0.0.1:99999",
      `127.0.0.1:${port}:${port}`,
      `localhost:${port}@evil`,
      `user@127.0.0.1:${port}`,
      `127.0.0.1:${port + 1}`,
      `127.0.0.1:0${port}`,
      "127.0.0.1",
      `localhost:${port}`,
      `LOCALHOST:${port}`,
      `[::1]:${port}`,
      `[::ffff:127.0.0.1]:${port}`,
      `[::1`,
      `2130706433:${port}`,
      `127.1:${port}`,
      `evil.com:${port}`,
      `127.0.0.1:${port}/x`,
      `127.0.0.1:${port}#`,
      `127.0.0.1:${port}?a`,
      `127.0.0.1:${port}\\`,
      `127.0.0.1:${port} x`,
      "%31%32%37.0.0.1",
      "",
    ];
    for (const host of hosts) {
      const answer = await rawRequest(port, "/api/info", { ...auth, host });
      deepStrictEqual(answer.status, 403, `Host ${JSON.stringify(host)}: ${answer.body}`);
      assert.match(answer.body, /is not this server/);
      deepStrictEqual(answer.headers.get("content-type"), "application/json; charset=utf-8");
    }
    // Without a Host (HTTP/1.0), and with an absolute target naming another host.
    const noHost = await rawExchange(port, {
      path: "/api/info",
      headers: { ...auth, host: null },
    });
    deepStrictEqual(noHost.status, 403);
    for (
      const target of ["http://evil.com/api/info", `http://127.0.0.1:${port}.evil.com/api/info`]
    ) {
      const absolute = await rawRequest(port, target, auth);
      deepStrictEqual(absolute.status, 403, `${target}: ${absolute.body}`);
    }
    const own = await rawRequest(port, "/api/info", auth);
    deepStrictEqual(own.status, 200);
    const info = await get("/api/info");
    deepStrictEqual(info.status, 200);
    await info.body?.cancel();
  });
});

Deno.test("a state-changing request needs the server's own Origin: another port, localhost, null or none gets 403 and changes nothing", async () => {
  await withView(SAMPLE, async (server, get) => {
    const port = server.port;
    const page = await fetch(`http://127.0.0.1:${port}/?token=${server.token}`);
    const cookie = page.headers.get("set-cookie")!.split(";")[0]!;
    await page.body?.cancel();
    const origins: (string | null)[] = [
      `http://127.0.0.1:${port + 1}`,
      `http://localhost:${port}`,
      `https://127.0.0.1:${port}`,
      `http://127.0.0.1:${port}.evil.com`,
      `http://127.0.0.1:${port}/`,
      "http://evil.example",
      "null",
      "",
      null,
    ];
    for (const method of ["POST", "PUT", "DELETE", "PATCH"]) {
      for (const origin of origins) {
        const answer = await rawExchange(port, {
          method,
          path: "/api/projections",
          headers: {
            cookie,
            "content-length": "0",
            ...(origin === null ? {} : { origin }),
          },
        });
        deepStrictEqual(answer.status, 403, `${method} from ${origin}: ${answer.body}`);
        assert.match(answer.body, /Origin/);
      }
    }
    // A form posted by another page: the same, whatever its content type.
    const form = await rawExchange(port, {
      method: "POST",
      path: "/api/projections",
      headers: {
        cookie,
        origin: `http://127.0.0.1:${port + 1}`,
        "content-type": "application/x-www-form-urlencoded",
        "content-length": "3",
      },
      body: new TextEncoder().encode("a=b"),
    });
    deepStrictEqual(form.status, 403);
    deepStrictEqual(await (await get("/api/projections")).json(), {
      state: "idle",
      done: 0,
      total: 58,
    });
    // From its own origin: other methods are not allowed, and say which are.
    const own = `http://127.0.0.1:${port}`;
    for (const method of ["PUT", "DELETE", "PATCH"]) {
      const answer = await rawExchange(port, {
        method,
        path: "/api/projections",
        headers: { cookie, origin: own, "content-length": "0" },
      });
      deepStrictEqual(answer.status, 405, method);
      deepStrictEqual(answer.headers.get("allow"), "GET, HEAD, POST");
    }
    const post = await rawExchange(port, {
      method: "POST",
      path: "/api/projections",
      headers: { cookie, origin: own, "content-length": "0" },
    });
    deepStrictEqual(post.status, 202, post.body);
  });
});

Deno.test("a read made by a page of another origin is refused, a navigation to the page is not", async () => {
  await withView(SAMPLE, async (server) => {
    const port = server.port;
    const auth = { authorization: `token ${server.token}` };
    const refused: Record<string, string>[] = [
      { "sec-fetch-site": "same-site", "sec-fetch-mode": "no-cors", "sec-fetch-dest": "image" },
      { "sec-fetch-site": "cross-site", "sec-fetch-mode": "cors" },
      { origin: `http://127.0.0.1:${port + 1}` },
      { origin: "null" },
    ];
    for (const path of ["/api/frames/0", "/api/info", "/api/projections"]) {
      for (const headers of refused) {
        const answer = await rawRequest(port, path, { ...auth, ...headers });
        deepStrictEqual(answer.status, 403, `${path} ${JSON.stringify(headers)}: ${answer.body}`);
      }
    }
    for (
      const headers of [
        { "sec-fetch-site": "same-origin", "sec-fetch-mode": "cors" },
        { "sec-fetch-site": "none", "sec-fetch-mode": "navigate" },
        { "sec-fetch-site": "cross-site", "sec-fetch-mode": "navigate" },
        { origin: `http://127.0.0.1:${port}` },
      ]
    ) {
      const answer = await rawRequest(port, "/api/info", { ...auth, ...headers });
      deepStrictEqual(answer.status, 200, JSON.stringify(headers));
    }
  });
});

Deno.test("every answer says its type, is not sniffed, embedded or framed, and 405 names the methods allowed", async () => {
  await withView(SAMPLE, async (server, get) => {
    const port = server.port;
    const auth = { authorization: `token ${server.token}` };
    const cases: [string, string, number, string][] = [
      ["GET", "/", 200, "text/html; charset=utf-8"],
      ["GET", "/app.js", 200, "text/javascript; charset=utf-8"],
      ["GET", "/client/viewer.js", 200, "text/javascript; charset=utf-8"],
      ["GET", "/client/nope.js", 404, "application/json; charset=utf-8"],
      ["GET", "/style.css", 200, "text/css; charset=utf-8"],
      ["GET", "/api/info", 200, "application/json; charset=utf-8"],
      ["GET", "/api/frames/0", 200, "image/png"],
      ["GET", "/api/frames/x", 400, "application/json; charset=utf-8"],
      ["GET", "/nope", 404, "application/json; charset=utf-8"],
      ["DELETE", "/api/info", 405, "application/json; charset=utf-8"],
      ["OPTIONS", "/api/frames/0", 405, "application/json; charset=utf-8"],
    ];
    for (const [method, path, status, type] of cases) {
      const answer = await rawExchange(port, {
        method,
        path,
        headers: { ...auth, origin: `http://127.0.0.1:${port}` },
      });
      deepStrictEqual(answer.status, status, `${method} ${path}`);
      const h = answer.headers;
      deepStrictEqual(h.get("content-type"), type, `${method} ${path}`);
      deepStrictEqual(h.get("x-content-type-options"), "nosniff", `${method} ${path}`);
      deepStrictEqual(h.get("cross-origin-resource-policy"), "same-origin", `${method} ${path}`);
      deepStrictEqual(h.get("x-frame-options"), "DENY", `${method} ${path}`);
      assert.match(
        String(h.get("content-security-policy")),
        containing("frame-ancestors 'none'"),
        `${method} ${path}: ${h.get("content-security-policy")}`,
      );
    }
    const unauthorised = await rawRequest(port, "/api/info");
    deepStrictEqual(unauthorised.status, 401);
    deepStrictEqual(unauthorised.headers.get("x-content-type-options"), "nosniff");
    const wrongMethod = await get("/api/frames/0", { method: "PUT" });
    deepStrictEqual(wrongMethod.status, 405);
    deepStrictEqual(wrongMethod.headers.get("allow"), "GET, HEAD");
    await wrongMethod.body?.cancel();
    const page = await fetch(`http://127.0.0.1:${port}/?token=${server.token}`);
    const cookie = page.headers.get("set-cookie")!;
    await page.body?.cancel();
    deepStrictEqual(
      cookie,
      `miniscope_view_${port}=${server.token}; Path=/; HttpOnly; SameSite=Strict`,
    );
  });
});

Deno.test("a request body is refused with 413, malformed or huge, and the server goes on", async () => {
  await withView(SAMPLE, async (server, get) => {
    const port = server.port;
    const headers = {
      authorization: `token ${server.token}`,
      origin: `http://127.0.0.1:${port}`,
      "content-type": "application/json",
    };
    const bodies = [
      new TextEncoder().encode("{bad"),
      new TextEncoder().encode('{"a":' + "[".repeat(100_000)),
      new Uint8Array(64 * 2 ** 20).fill(0x5b),
    ];
    for (const body of bodies) {
      const answer = await rawExchange(port, {
        method: "POST",
        path: "/api/projections",
        headers: { ...headers, "content-length": String(body.length) },
        body,
      });
      deepStrictEqual(answer.status, 413, `${body.length} bytes: ${answer.body}`);
      assert.match(answer.body, /takes no body/);
    }
    const chunked = await rawExchange(port, {
      method: "POST",
      path: "/api/projections",
      headers: { ...headers, "transfer-encoding": "chunked" },
      body: new TextEncoder().encode("4\r\n{bad\r\n0\r\n\r\n"),
    });
    deepStrictEqual(chunked.status, 413, chunked.body);
    deepStrictEqual(await (await get("/api/projections")).json(), {
      state: "idle",
      done: 0,
      total: 58,
    });
    const frame = await get("/api/frames/3");
    deepStrictEqual(frame.status, 200);
    await frame.body?.cancel();
  });
});

Deno.test("a session lists its devices and serves the behaviour camera's frames beside the Miniscope", async () => {
  const session = await cameraSession();
  try {
    await withView(session, async (_server, get) => {
      const info = await (await get("/api/info")).json();
      deepStrictEqual(info.devices.map((d: { name: string }) => d.name), [
        "Miniscope",
        CAMERA.name,
      ]);
      deepStrictEqual(info.devices.map((d: { camera: boolean }) => d.camera), [false, true]);
      deepStrictEqual(info.session.animalName, "mouse1");
      deepStrictEqual(info.devices.map((d: { channels: number }) => d.channels), [1, 3]);
      const camera = await MiniscopeImagingExtractor.open({
        folderPath: join(session, CAMERA.name),
        pixelFormat: "rgb24",
      });
      // The camera is in colour: its PNGs hold exactly ffmpeg's RGB decode.
      const expected = await ffmpegDecodeAll(camera.getFilePaths(), "rgb24");
      const size = CAMERA.width * CAMERA.height * 3;
      for (const k of [0, 7, 19]) {
        const image = decode(
          new Uint8Array(await (await get(`/api/frames/${k}?device=1`)).arrayBuffer()),
        );
        deepStrictEqual([image.width, image.height, image.channels], [
          CAMERA.width,
          CAMERA.height,
          3,
        ]);
        assertBytesEqual(image.data as Uint8Array, expected.subarray(k * size, (k + 1) * size));
      }
      const { timestamps } = await (await get("/api/timestamps?device=1")).json();
      deepStrictEqual(timestamps, Array.from(camera.getTimestamps()));
      const missing = await get("/api/frames/20?device=1");
      deepStrictEqual(missing.status, 404);
      await errorOf(missing);
    });
  } finally {
    await Deno.remove(join(session, ".."), { recursive: true });
  }
});

Deno.test("close() during decoding ends every ffmpeg of the viewer", async () => {
  const copy = await copyFixture(MANY, "view_close_marker");
  try {
    const server = await startView({ folder: copy, onWarning: () => {} });
    const base = `http://127.0.0.1:${server.port}`;
    const headers = { authorization: `token ${server.token}` };
    const projections = await fetch(`${base}/api/projections`, {
      method: "POST",
      headers: { ...headers, origin: base },
    });
    await projections.body?.cancel();
    const frames = [3, 13, 21].map((k) =>
      fetch(`${base}/api/frames/${k}`, { headers }).then((r) => r.body?.cancel()).catch(() => {})
    );
    const deadline = performance.now() + 10_000;
    while (await ffmpegProcessesMentioning("view_close_marker") === 0) {
      assert(performance.now() < deadline, "no decoder started");
    }
    await server.close();
    await Promise.all(frames);
    deepStrictEqual(await ffmpegProcessesMentioning("view_close_marker"), 0);
  } finally {
    await removeCopy(copy);
  }
});

Deno.test("the viewer ends the decoders it keeps alive between reads when it stops, not seconds later", async () => {
  const copy = await copyFixture(MANY, "view_idle_marker");
  try {
    const server = await startView({ folder: copy, onWarning: () => {} });
    const base = `http://127.0.0.1:${server.port}`;
    const headers = { authorization: `token ${server.token}` };
    for (const k of [3, 13]) {
      const response = await fetch(`${base}/api/frames/${k}`, { headers });
      deepStrictEqual(response.status, 200);
      await response.arrayBuffer();
    }
    // The reads, and those of the frames around, are over; their decoders stay for the next.
    await new Promise((resolve) => setTimeout(resolve, 1000));
    assert(await ffmpegProcessesMentioning("view_idle_marker") >= 1, "a decoder kept alive");
    await server.close();
    deepStrictEqual(await ffmpegProcessesMentioning("view_idle_marker"), 0);
  } finally {
    await removeCopy(copy);
  }
});

Deno.test({
  name:
    "the view command runs with read, ffmpeg and 127.0.0.1 only, prints one URL and stops on SIGTERM",
  ignore: Deno.build.os === "windows",
  fn: async () => {
    const child = new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        "--no-prompt",
        "--quiet",
        `--allow-read=${SESSION}`,
        "--allow-run=ffmpeg",
        "--allow-net=127.0.0.1",
        CLI,
        "view",
        SESSION,
      ],
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    const stderr = new Response(child.stderr).text();
    const lines = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
    let out = "";
    while (!/token=[0-9a-f]{64}\n/.test(out)) {
      const { value, done } = await lines.read();
      if (done) break;
      out += value;
    }
    const urls = out.match(/http:\/\/\S+/g) ?? [];
    deepStrictEqual(urls.length, 1, out);
    const url = new URL(urls[0]!);
    deepStrictEqual(url.hostname, "127.0.0.1");
    const page = await fetch(url);
    deepStrictEqual(page.status, 200);
    await page.body?.cancel();
    const frame = await fetch(new URL(`/api/frames/5?token=${url.searchParams.get("token")}`, url));
    deepStrictEqual(frame.status, 200);
    await frame.body?.cancel();
    child.kill("SIGTERM");
    const status = await child.status;
    await lines.cancel();
    deepStrictEqual(status.code, 0, await stderr);
    const usage = await runDenoScript(CLI, ["--allow-read"], ["view", SESSION, "--port", "x"]);
    deepStrictEqual(usage.code, 2);
    assert.match(usage.stderr, /--port must be a whole number/);
  },
});
