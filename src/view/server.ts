/**
 * The viewer's HTTP server: the page and a small JSON and PNG API over one recording or
 * session, on 127.0.0.1 only, behind a random token.
 *
 * Routes are matched by name; no URL path is ever mapped to a file. Only the exact
 * `Host: 127.0.0.1:PORT` is served (against DNS rebinding), and requests made by pages of other
 * origins are refused: another port of 127.0.0.1 is the same site, so the SameSite cookie alone
 * does not keep them out.
 *
 * @module
 */

import { FrameStore } from "./frames.ts";
import { clientScripts } from "./client.ts";
import { PAGE_CSS, PAGE_HTML } from "./page.ts";
import { Projections } from "./projections.ts";
import {
  deviceInfo,
  frameValues,
  openViewSource,
  type ViewDevice,
  type ViewSource,
} from "./source.ts";
import { TraceStore } from "./traces.ts";
import {
  bytes,
  cookieValue,
  HttpError,
  index,
  json,
  readSmallBody,
  refuseBody,
  SAFE_METHODS,
  sameToken,
  SECURITY_HEADERS,
  text,
} from "./http.ts";
import type { Region } from "../analysis/traces.ts";

/** Options of {@linkcode startView}. */
export interface ViewOptions {
  /**
   * A device folder (with `0.avi, ...`), a session folder (with device folders) or an NWB file
   * (its imaging series).
   */
  folder: string;
  /** The port; 0 picks a free one. Default: 0. */
  port?: number;
  /** The access token. Default: 32 random bytes in hex. */
  token?: string;
  /** Stops the server and every decoder. */
  signal?: AbortSignal;
  /**
   * The `camNum` of the Miniscope in `timestamp.dat`, for a recording folder of the software
   * before 2020 whose row counts cannot tell the cameras apart.
   */
  scopeCamNum?: number;
  /** Bytes of PNG frames cached per device. Default: 128 MiB. */
  cacheBytes?: number;
  /** Receives warnings about the recordings. Default: `console.warn`. */
  onWarning?: (message: string) => void;
}

/** A running viewer. */
export interface ViewServer {
  /** The address to open, with the token: `http://127.0.0.1:PORT/?token=...`. */
  url: string;
  /** The port listened on. */
  port: number;
  /** The access token. */
  token: string;
  /** What is shown. */
  source: ViewSource;
  /** Resolves once the server and every decoder have stopped. */
  finished: Promise<void>;
  /** Stops the server and every decoder. */
  close(): Promise<void>;
}

interface DeviceState {
  device: ViewDevice;
  frames: FrameStore;
  projections: Projections;
  /** The JSON of `/api/orientation`, once asked for. */
  orientation?: Promise<string> | undefined;
}

/**
 * Opens a recording or session and serves the viewer for it on 127.0.0.1.
 *
 * @param options The folder, port, token and stop signal.
 * @returns The running server, once it listens.
 * @throws {Deno.errors.NotFound} When the folder is missing or holds no recording.
 * @throws {MalformedRecordingError} When a recording cannot be read.
 */
export async function startView(options: ViewOptions): Promise<ViewServer> {
  const source = await openViewSource(options.folder, options.onWarning, options.scopeCamNum);
  const token = options.token ?? Array.from(
    crypto.getRandomValues(new Uint8Array(32)),
    (b) => b.toString(16).padStart(2, "0"),
  ).join("");
  const stop = new AbortController();
  const signal = options.signal ? AbortSignal.any([options.signal, stop.signal]) : stop.signal;
  const devices: DeviceState[] = source.devices.map((device) => ({
    device,
    frames: new FrameStore(device.extractor, {
      signal,
      ...(options.cacheBytes !== undefined ? { cacheBytes: options.cacheBytes } : {}),
    }),
    projections: new Projections(device.extractor, signal, device.stored),
  }));
  const traces = new TraceStore(signal);
  const info = {
    folder: source.folder,
    session: source.session,
    devices: source.devices.map((device, id) => deviceInfo(device, id)),
  };
  const scripts = clientScripts();
  let port = 0;
  const cookie = () => `miniscope_view_${port}`;

  /**
   * Refuses a request made by a page of another origin. A state-changing request must carry the
   * server's own `Origin` (browsers send it with every such request); a read from another origin
   * shows itself by a foreign `Origin` or by `Sec-Fetch-Site`. Top-level navigations stay
   * allowed: they show the viewer to the user and give the other page nothing.
   */
  function checkOrigin(request: Request): void {
    const own = `http://127.0.0.1:${port}`;
    const origin = request.headers.get("origin");
    if (!SAFE_METHODS.has(request.method) && origin === null) {
      throw new HttpError(403, `${request.method} needs the Origin header ${own}`);
    }
    if (origin !== null && origin !== own) {
      throw new HttpError(403, `Origin ${JSON.stringify(origin)} is not this server (${own})`);
    }
    const site = request.headers.get("sec-fetch-site");
    if (
      (site === "cross-site" || site === "same-site") &&
      request.headers.get("sec-fetch-mode") !== "navigate"
    ) {
      throw new HttpError(403, `Requests from pages of other origins are refused (${site})`);
    }
  }

  function authorised(request: Request, url: URL): boolean {
    const given = url.searchParams.get("token") ??
      cookieValue(request.headers.get("cookie"), cookie()) ??
      request.headers.get("authorization")?.replace(/^token\s+/i, "") ?? null;
    return given !== null && sameToken(given, token);
  }

  function device(url: URL): DeviceState {
    const value = url.searchParams.get("device");
    return devices[value === null ? 0 : index(value, "Device", devices.length, "devices")]!;
  }

  async function route(request: Request): Promise<Response> {
    // Before the URL is parsed: a look-alike Host such as 127.0.0.1:PORT.evil.com makes an
    // invalid URL, which must end in 403 like any other foreign name.
    const host = request.headers.get("host");
    if (host !== `127.0.0.1:${port}`) {
      throw new HttpError(
        403,
        `Host ${JSON.stringify(host)} is not this server: use 127.0.0.1:${port}`,
      );
    }
    // An absolute request target names its own host, which HTTP puts before the Host header.
    const url = URL.parse(request.url);
    if (url?.host !== host) {
      throw new HttpError(403, `The host of ${JSON.stringify(request.url)} is not this server`);
    }
    checkOrigin(request);
    if (!authorised(request, url)) {
      throw new HttpError(401, "Missing or wrong token: open the URL printed by miniscope view");
    }
    const method = request.method;
    const parts = url.pathname.split("/").slice(1);
    const allow = (...methods: string[]) => {
      if (!methods.includes(method)) {
        throw new HttpError(405, `${method} is not allowed on ${url.pathname}`, {
          allow: methods.join(", "),
        });
      }
    };
    if (url.pathname === "/") {
      allow("GET", "HEAD");
      const setCookie = url.searchParams.has("token")
        ? { "set-cookie": `${cookie()}=${token}; Path=/; HttpOnly; SameSite=Strict` }
        : {};
      return text(PAGE_HTML, "text/html", setCookie);
    }
    const script = scripts.get(url.pathname);
    if (script !== undefined) {
      allow("GET", "HEAD");
      return text(script, "text/javascript");
    }
    if (url.pathname === "/style.css") {
      allow("GET", "HEAD");
      return text(PAGE_CSS, "text/css");
    }
    if (parts[0] !== "api") throw new HttpError(404, `No such page: ${url.pathname}`);
    const [, name, arg, ...rest] = parts;
    if (name === "info" && arg === undefined) {
      allow("GET", "HEAD");
      return json(info);
    }
    if (name === "timestamps" && arg === undefined) {
      allow("GET", "HEAD");
      const { device: d } = device(url);
      return json({ timestamps: Array.from(d.extractor.getTimestamps()) });
    }
    if (name === "orientation" && arg === undefined) {
      allow("GET", "HEAD");
      const state = device(url);
      const read = state.device.orientation;
      if (!read) throw new HttpError(404, `${state.device.name} has no head orientation`);
      // Built once: a long recording's file makes a large answer.
      state.orientation ??= read().then(({ timestamps, quaternions }) =>
        JSON.stringify({ timestamps: Array.from(timestamps), quaternions: Array.from(quaternions) })
      );
      state.orientation.catch(() => (state.orientation = undefined));
      return text(await state.orientation, "application/json");
    }
    if (name === "frames" && arg !== undefined && rest.length === 0) {
      allow("GET", "HEAD");
      const state = device(url);
      const samples = state.device.extractor.getNumSamples();
      const k = index(decodeURIComponent(arg), "Frame", samples, "frames");
      const ahead = url.searchParams.get("ahead");
      if (ahead !== null && ahead !== "1" && ahead !== "-1") {
        throw new HttpError(400, `ahead must be 1 or -1, got ${JSON.stringify(ahead)}`);
      }
      return bytes(
        await state.frames.png(k, ahead === null ? undefined : Number(ahead) as 1 | -1),
        "image/png",
      );
    }
    if (name === "values" && arg !== undefined && rest.length === 0) {
      allow("GET", "HEAD");
      const state = device(url);
      const samples = state.device.extractor.getNumSamples();
      const k = index(decodeURIComponent(arg), "Frame", samples, "frames");
      const values = await frameValues(state.device, k);
      return new Response(values.bytes as Uint8Array<ArrayBuffer>, {
        headers: {
          "content-type": "application/octet-stream",
          "x-dtype": values.dtype,
          "x-shape": values.shape.join(","),
          ...SECURITY_HEADERS,
        },
      });
    }
    if (name === "projections" && arg === undefined) {
      allow("GET", "HEAD", "POST");
      const state = device(url);
      if (method === "POST") {
        refuseBody(request, url.pathname);
        state.projections.start();
      }
      return json(state.projections.status(), method === "POST" ? 202 : 200);
    }
    if (name === "projections" && (arg === "mean" || arg === "max") && rest.length === 0) {
      allow("GET", "HEAD");
      const png = device(url).projections.png(arg);
      if (!png) {
        throw new HttpError(409, "The projections are not computed yet: POST /api/projections");
      }
      return bytes(png, "image/png");
    }
    if (name === "projections" && arg === "mean.f64" && rest.length === 0) {
      allow("GET", "HEAD");
      const mean = device(url).projections.mean();
      if (!mean) {
        throw new HttpError(409, "The projections are not computed yet: POST /api/projections");
      }
      // Little-endian float64, as every platform a browser runs on stores it.
      return bytes(
        new Uint8Array(mean.buffer, mean.byteOffset, mean.byteLength),
        "application/octet-stream",
      );
    }
    if (name === "traces") return await traceRoute(request, url, arg, rest.length, allow);
    throw new HttpError(404, `No such API route: ${url.pathname}`);
  }

  /** `POST /api/traces`, `GET /api/traces/{id}` and `{id}.csv`, `DELETE /api/traces/{id}`. */
  async function traceRoute(
    request: Request,
    url: URL,
    arg: string | undefined,
    more: number,
    allow: (...methods: string[]) => void,
  ): Promise<Response> {
    if (arg === undefined) {
      allow("GET", "HEAD", "POST");
      const state = device(url);
      if (request.method !== "POST") return json({ traces: traces.list(devices.indexOf(state)) });
      const body = await readSmallBody(request, url.pathname);
      let region: Region;
      try {
        region = JSON.parse(body);
      } catch (error) {
        throw new HttpError(400, `The body of POST ${url.pathname} is not JSON: ${error}`);
      }
      try {
        const { extractor, stored } = state.device;
        const id = traces.add(extractor, devices.indexOf(state), region, stored ?? extractor);
        return json({ id }, 201);
      } catch (error) {
        if (error instanceof TypeError || error instanceof RangeError) {
          throw new HttpError(error.message.startsWith("At most") ? 409 : 400, error.message);
        }
        throw error;
      }
    }
    if (more !== 0) throw new HttpError(404, `No such API route: ${url.pathname}`);
    const csv = arg.endsWith(".csv");
    const id = csv ? arg.slice(0, -4) : arg;
    if (csv) {
      allow("GET", "HEAD");
      const answer = traces.csv(id);
      if (answer === null) throw new HttpError(404, `No trace ${JSON.stringify(id)}`);
      if (answer === undefined) throw new HttpError(409, `Trace ${id} is not computed yet`);
      return text(answer, "text/csv", {
        "content-disposition": `attachment; filename="trace_${id}.csv"`,
      });
    }
    allow("GET", "HEAD", "DELETE");
    if (request.method === "DELETE") {
      refuseBody(request, url.pathname);
      if (!(await traces.remove(id))) throw new HttpError(404, `No trace ${JSON.stringify(id)}`);
      return json({ id, removed: true });
    }
    const status = traces.status(id);
    if (!status) throw new HttpError(404, `No trace ${JSON.stringify(id)}`);
    return json(status);
  }

  async function handle(request: Request): Promise<Response> {
    try {
      return await route(request);
    } catch (error) {
      if (error instanceof HttpError) {
        return json({ error: error.message }, error.status, error.headers);
      }
      if (signal.aborted) return json({ error: "The viewer is stopping" }, 503);
      if (error instanceof URIError) return json({ error: "Malformed URL encoding" }, 400);
      const message = error instanceof Error ? error.message : String(error);
      return json({ error: message }, 500);
    }
  }

  const listening = Promise.withResolvers<Deno.NetAddr>();
  let server: Deno.HttpServer;
  try {
    server = Deno.serve({
      hostname: "127.0.0.1",
      port: options.port ?? 0,
      signal,
      onListen: (address) => listening.resolve(address as Deno.NetAddr),
      onError: (error) =>
        json({ error: error instanceof Error ? error.message : String(error) }, 500),
    }, handle);
  } catch (error) {
    // A port in use: what the source holds open is released.
    source.close?.();
    if (error instanceof Deno.errors.AddrInUse) {
      throw new Deno.errors.AddrInUse(
        `Cannot listen on 127.0.0.1:${options.port}: the port is in use (give another with ` +
          `--port, or 0 for a free one)`,
        { cause: error },
      );
    }
    throw error;
  }
  port = (await listening.promise).port;

  const finished = (async () => {
    await server.finished;
    stop.abort();
    await Promise.all(devices.flatMap((d) => [d.frames.settled(), d.projections.settled()]));
    await traces.settled();
    // The decoders kept alive between reads end with the server, not some seconds later.
    await Promise.all(devices.map((d) => d.device.extractor.close()));
    source.close?.();
  })();
  return {
    url: `http://127.0.0.1:${port}/?token=${token}`,
    port,
    token,
    source,
    finished,
    async close() {
      stop.abort();
      await finished;
    },
  };
}

/**
 * Opens an address in the default browser: `xdg-open` on Linux, `open` on macOS, `start` on
 * Windows. A failure is reported on stderr and otherwise ignored: the address is printed anyway.
 *
 * @param url The address.
 */
export async function openBrowser(url: string): Promise<void> {
  const [command, args] = Deno.build.os === "darwin"
    ? ["open", [url]]
    : Deno.build.os === "windows"
    ? ["cmd", ["/c", "start", "", url]]
    : ["xdg-open", [url]];
  try {
    const child = new Deno.Command(command, {
      args,
      stdin: "null",
      stdout: "null",
      stderr: "null",
    }).spawn();
    const { success } = await child.status;
    if (!success) console.error(`Could not open a browser with ${command}; open the address above`);
  } catch (error) {
    console.error(`Could not open a browser with ${command}: ${(error as Error).message}`);
  }
}
