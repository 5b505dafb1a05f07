// Values seen on the wire (SNI, ALPN, certificate names, banners) end up in text meant
// for people: finding messages and the readable output. Control characters there
// would let a crafted handshake forge log lines or drive a terminal, so they are
// shown escaped (\xNN). NDJSON needs nothing more: JSON escapes them already.

const CONTROL = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/g;
// the same class, for a quick look (no global state): most texts have nothing to escape
const HAS_CONTROL = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/;

export function escapeControl(text: string): string {
  if (!HAS_CONTROL.test(text)) return text;
  return text.replace(CONTROL, (c) => {
    const code = c.charCodeAt(0);
    return code > 0xff ? `\\u${code.toString(16).padStart(4, '0')}` : `\\x${code.toString(16).padStart(2, '0')}`;
  });
}
