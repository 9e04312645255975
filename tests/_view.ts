/**
 * Helpers for the viewer tests: a session with a behaviour camera, a viewer run for a test, and
 * raw HTTP requests that send a path exactly as written.
 *
 * @module
 */

import { join } from "node:path";
import { writeRecording } from "../src/sample.ts";
import { colourFrame } from "../testdata/make_fixtures.ts";
import { startView, type ViewServer } from "../src/view/server.ts";
import { makeFrame } from "../testdata/frames.ts";
import { copyTree, SAMPLE, TESTDATA } from "./_helpers.ts";

/** The colour behaviour camera of {@linkcode cameraSession}: 20 MJPG frames of 32x24 at 10 Hz. */
export const CAMERA = { name: "BehavCam 0", width: 32, height: 24, frames: 20, seed: 7 };

/**
 * Makes a session in a new temporary folder: the sample Miniscope and a behaviour camera.
 *
 * @returns The session folder; remove its parent when done.
 */
export async function cameraSession(): Promise<string> {
  const root = await Deno.makeTempDir({ prefix: "miniscope_view_" });
  const session = join(root, "09_18_41");
  await Deno.mkdir(join(session, "Miniscope"), { recursive: true });
  for (const file of ["metaData.json", "notes.csv"]) {
    await Deno.copyFile(join(TESTDATA, "sample_session", file), join(session, file));
  }
  for await (const entry of Deno.readDir(SAMPLE)) {
    await Deno.copyFile(join(SAMPLE, entry.name), join(session, "Miniscope", entry.name));
  }
  await writeRecording(join(session, CAMERA.name), {
    width: CAMERA.width,
    height: CAMERA.height,
    frames: CAMERA.frames,
    framesPerFile: CAMERA.frames,
    deviceType: "BehavCam",
    timestamps: { startMs: 0, intervalMs: 100 },
    codec: "MJPG",
    input: "rgb24",
    frame: (i) => colourFrame(i, CAMERA.width, CAMERA.height),
  });
  return session;
}

/** An HTTP answer as read from the socket. */
export interface RawAnswer {
  status: number;
  /** The header fields, names in lower case. */
  headers: Headers;
  body: string;
}

/**
 * Sends one HTTP/1.1 request with the path exactly as given (no normalisation) and reads the
 * whole answer. `headers` may replace `host`.
 *
 * @returns The status code and the body as text.
 */
export function rawRequest(
  port: number,
  path: string,
  headers: Record<string, string> = {},
): Promise<RawAnswer> {
  return rawExchange(port, { path, headers });
}

/** A request written byte for byte by {@linkcode rawExchange}. */
export interface RawRequest {
  /** Default: GET. */
  method?: string;
  /** The request target, as written. */
  path: string;
  /** Header fields; `host` and `connection` have defaults that these replace, null leaves out. */
  headers?: Record<string, string | null>;
  /** The body, sent after the headers while the answer is read. */
  body?: Uint8Array;
}

/**
 * Sends one request as written and reads the answer: to the end of its `content-length` body,
 * or to the end of the connection. The server may answer before it has the body and reset the
 * connection after: the answer is complete by then.
 */
export async function rawExchange(port: number, request: RawRequest): Promise<RawAnswer> {
  const connection = await Deno.connect({ hostname: "127.0.0.1", port });
  try {
    const lines = [`${request.method ?? "GET"} ${request.path} HTTP/1.1`];
    const all = { host: `127.0.0.1:${port}`, connection: "close", ...request.headers };
    for (const [key, value] of Object.entries(all)) {
      if (value !== null) lines.push(`${key}: ${value}`);
    }
    await connection.write(new TextEncoder().encode(lines.join("\r\n") + "\r\n\r\n"));
    const body = request.body;
    const writing = body
      ? (async () => {
        for (let at = 0; at < body.length; at += 1 << 16) {
          await connection.write(body.subarray(at, at + (1 << 16)));
        }
      })().catch(() => {})
      : Promise.resolve();
    const answer = await readAnswer(connection);
    connection.close();
    await writing;
    return answer;
  } catch (error) {
    try {
      connection.close();
    } catch {
      // already closed
    }
    throw error;
  }
}

async function readAnswer(connection: Deno.Conn): Promise<RawAnswer> {
  let bytes = new Uint8Array(0);
  const buffer = new Uint8Array(1 << 16);
  /** Where the header ends, or -1. */
  const headEnd = () => {
    for (let i = 0; i + 3 < bytes.length; i++) {
      if (bytes[i] === 13 && bytes[i + 1] === 10 && bytes[i + 2] === 13 && bytes[i + 3] === 10) {
        return i;
      }
    }
    return -1;
  };
  const head = () => new TextDecoder().decode(bytes.subarray(0, headEnd()));
  const complete = () => {
    if (headEnd() < 0) return false;
    const length = head().match(/\r\ncontent-length: *(\d+)/i)?.[1];
    return length !== undefined && bytes.length - headEnd() - 4 >= Number(length);
  };
  while (!complete()) {
    let n: number | null;
    try {
      n = await connection.read(buffer);
    } catch (error) {
      if (error instanceof Deno.errors.ConnectionReset && headEnd() >= 0) break;
      throw error;
    }
    if (n === null) break;
    const grown = new Uint8Array(bytes.length + n);
    grown.set(bytes);
    grown.set(buffer.subarray(0, n), bytes.length);
    bytes = grown;
  }
  const end = headEnd();
  const lines = head().split("\r\n");
  const status = Number(lines[0]?.match(/^HTTP\/1\.[01] (\d{3})/)?.[1] ?? 0);
  const headers = new Headers();
  for (const line of lines.slice(1)) {
    const colon = line.indexOf(":");
    headers.append(line.slice(0, colon).trim(), line.slice(colon + 1).trim());
  }
  return { status, headers, body: new TextDecoder().decode(bytes.subarray(end + 4)) };
}

/** A request to a running viewer, with its token (and its own Origin when it changes something). */
export type ViewCall = (path: string, init?: RequestInit) => Promise<Response>;

/**
 * Runs `body` with a viewer of `folder` (a folder or an NWB file), closed after it whatever
 * happens.
 *
 * @param folder What to view.
 * @param body Gets the server and a way to call it, as the page does: the token on every
 *   request, the server's own Origin on each that is not a GET.
 */
export async function withView(
  folder: string,
  body: (server: ViewServer, call: ViewCall) => Promise<void>,
): Promise<void> {
  const server = await startView({ folder, onWarning: () => {} });
  const base = `http://127.0.0.1:${server.port}`;
  const call: ViewCall = (path, init = {}) =>
    fetch(`${base}${path}`, {
      ...init,
      headers: {
        authorization: `token ${server.token}`,
        ...(init.method && init.method !== "GET" ? { origin: base } : {}),
        ...init.headers,
      },
    });
  try {
    await body(server, call);
  } finally {
    await server.close();
  }
}

/**
 * Makes, in `dir`, a copy of the sample session with a second Miniscope, `HPC_miniscope2`: 30
 * frames of 24x16, listed before `Miniscope` and without a head orientation file.
 *
 * @returns The session folder.
 */
export async function twoScopeSession(dir: string): Promise<string> {
  const root = join(dir, "session");
  await copyTree(join(TESTDATA, "sample_session"), root);
  await writeRecording(join(root, "HPC_miniscope2"), {
    width: 24,
    height: 16,
    frames: 30,
    framesPerFile: 30,
    deviceType: "Miniscope_V4_BNO",
    frame: (i) => makeFrame(i, 24, 16, 5),
  });
  return root;
}
