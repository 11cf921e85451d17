// IEEE 488.2 definite-length arbitrary block: '#', the digit count, the byte count, the bytes. Rigol always
// writes nine digits ("#9000001200…"), which any 488.2 reader accepts.

export function definiteBlock(payload: Buffer): Buffer {
  return Buffer.concat([Buffer.from(`#9${String(payload.length).padStart(9, '0')}`), payload]);
}
