/** A connected socket.io server/client pair on a free loopback port, with default limits. */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Server, type Socket as ServerSocket } from 'socket.io';
import { io as connect, type Socket as ClientSocket } from 'socket.io-client';

export interface SocketPair {
  io: Server;
  server: ServerSocket;
  client: ClientSocket;
  close(): Promise<void>;
}

/** Starts a bare socket.io server (default `maxHttpBufferSize` 1e6) and connects one client. */
export async function socketPair(): Promise<SocketPair> {
  const http = createServer();
  const io = new Server(http);
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  const { port } = http.address() as AddressInfo;
  const serverSide = new Promise<ServerSocket>((resolve) => io.once('connection', resolve));
  const client = connect(`http://127.0.0.1:${port}`, { reconnection: false });
  await new Promise<void>((resolve, reject) => {
    client.once('connect', resolve);
    client.once('connect_error', reject);
  });
  const server = await serverSide;
  return {
    io,
    server,
    client,
    async close() {
      client.close();
      await io.close();
    },
  };
}
