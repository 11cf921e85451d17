// Asks a simulated instrument directly over its own TCP socket, sharing no code with LabLink's drivers: what
// the instrument itself says, not what LabLink reports.

import net from 'node:net';

/** One SCPI query to a TCPIP0::host::port::SOCKET resource; resolves with the reply line. */
export function queryInstrument(resource: string, command: string, timeoutMs = 3000): Promise<string> {
  const match = /^TCPIP\d*::([^:]+)::(\d+)::SOCKET$/i.exec(resource);
  if (!match) throw new Error(`not a socket resource: ${resource}`);
  const [, host, port] = match;
  return new Promise((resolve, reject) => {
    const socket = net.connect(Number(port), host as string);
    let reply = '';
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`no reply to ${command} from ${resource}`));
    }, timeoutMs);
    socket.on('connect', () => socket.write(`${command}\n`));
    socket.on('data', (chunk) => {
      reply += chunk.toString('latin1');
      if (reply.endsWith('\n')) {
        clearTimeout(timer);
        socket.end();
        resolve(reply.trim());
      }
    });
    socket.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
  });
}
