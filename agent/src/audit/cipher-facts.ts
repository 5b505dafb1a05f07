// What the rules need to know about a negotiated cipher suite, read from its IANA
// name (TLS_<kx>_WITH_<cipher>_<mac>, or TLS_<cipher>_<hash> for TLS 1.3), so that
// every registered suite is judged by the same reasoning, not by a short list.

export interface CipherFacts {
  kx: string; // 'ECDHE_RSA', 'RSA', 'DH_anon', 'TLS13', ...
  enc: string; // 'AES_128_GCM', '3DES_EDE_CBC', ...
  mac: string; // 'SHA256', 'SHA', 'MD5', or the TLS 1.3 hash
  forwardSecret: boolean | null; // null: cannot tell (unknown code point)
  aead: boolean;
  weakReasons: string[]; // NULL, anonymous, EXPORT, RC4, DES, 3DES, RC2, IDEA, MD5
}

const cache = new Map<string, CipherFacts | null>();

export function cipherSuiteInfoByName(name: string): CipherFacts | null {
  let r = cache.get(name);
  if (r === undefined) {
    r = parse(name);
    cache.set(name, r);
  }
  return r;
}

function parse(name: string): CipherFacts | null {
  const m = /^(?:TLS|SSL)_(.+?)_WITH_(.+)$/.exec(name);
  let kx: string;
  let rest: string;
  if (m) {
    kx = m[1];
    rest = m[2];
  } else if (/^TLS_(AES|CHACHA20|SM4|SHA256|SHA384|AEGIS)/.test(name)) {
    kx = 'TLS13';
    rest = name.slice(4);
  } else return null;
  const parts = rest.split('_');
  const mac = parts[parts.length - 1];
  const enc = parts.slice(0, -1).join('_') || rest;
  const aead = /GCM|CCM|CHACHA20_POLY1305|AEGIS|MGM/.test(rest);
  const kxBase = kx.replace(/_EXPORT(1024)?$/, '');
  let forwardSecret: boolean;
  if (kx === 'TLS13') forwardSecret = true; // (EC)DHE always, unless psk_ke mode: not visible here
  else if (/^(ECDHE|DHE|SRP|ECCPWD|GOSTR341112)/.test(kxBase)) forwardSecret = true;
  else forwardSecret = /anon/.test(kxBase) && /^(DH|ECDH)_anon/.test(kxBase) ? true : false;
  const weak: string[] = [];
  if (/^NULL$|^NULL_|_NULL_|_NULL$/.test(rest) || enc === 'NULL' || kx === 'NULL') weak.push('NULL cipher');
  if (/anon/.test(kx)) weak.push('anonymous key exchange');
  if (/EXPORT/.test(name)) weak.push('EXPORT grade');
  if (/RC4/.test(enc)) weak.push('RC4');
  if (/(^|_)DES(40)?_CBC|DES_CBC_40|^DES40/.test(enc) && !/3DES/.test(enc)) weak.push('DES');
  if (/3DES|DES_EDE|DES192/.test(enc)) weak.push('3DES');
  if (/RC2/.test(enc)) weak.push('RC2');
  if (/IDEA/.test(enc)) weak.push('IDEA');
  if (mac === 'MD5') weak.push('MD5');
  return { kx, enc, mac, forwardSecret, aead, weakReasons: weak };
}
