// SMB over NetBIOS session service / direct TCP (RFC 1002 §4.3, MS-SMB2 §2.1): a
// 4-byte header (type 0x00 "session message", 24-bit length) followed by the SMB
// protocol id: 0xFF 'SMB' (SMB1), 0xFE 'SMB' (SMB2/3), 0xFD 'SMB' (SMB3 transform:
// encrypted), 0xFC 'SMB' (SMB3 compression). On port 139 the client first sends a
// NetBIOS session request (type 0x81) with two encoded names (32 bytes 'A'..'P' each).
// SMB 3 may encrypt, SMB 1/2 do not: encryption cannot be told from the protocol alone.

import { NO, YES, either, more, u24, type ProtocolSignature, type Verdict } from '../signature.js';

function sessionMessage(buf: Buffer, done: boolean): Verdict {
  if (buf.length === 0) return more(done);
  if (buf[0] === 0x81) return sessionRequest(buf, done);
  if (buf[0] !== 0) return NO;
  if (buf.length < 8) {
    if (buf.length > 5 && (buf[5] !== 0x53 || (buf[4] < 0xfc))) return NO;
    return more(done);
  }
  const len = u24(buf, 1);
  const id = buf[4];
  if (len < 32 || id < 0xfc || buf[5] !== 0x53 || buf[6] !== 0x4d || buf[7] !== 0x42) return NO;
  return YES;
}

function sessionRequest(buf: Buffer, done: boolean): Verdict {
  // 0x81, flags, length (68 for two plain 34-byte encoded names), called name, calling name
  if (buf.length < 4) return more(done);
  if (buf[1] !== 0 || ((buf[2] << 8) | buf[3]) < 68) return NO;
  for (let i = 4; i < 4 + 34; i++) {
    if (i >= buf.length) return more(done);
    const b = buf[i];
    const ok = i === 4 ? b === 0x20 : i < 37 ? b >= 0x41 && b <= 0x50 : b === 0;
    if (!ok) return NO;
  }
  return YES;
}

export const SMB: ProtocolSignature = {
  name: 'smb',
  transport: 'tcp',
  encrypted: null,
  detect(c, s, cDone, sDone) {
    return either(sessionMessage(c, cDone), sessionMessage(s, sDone));
  },
};
