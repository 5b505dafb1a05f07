// Deterministic pseudo-random numbers for the fuzzer: xoshiro128** seeded through
// splitmix32, so that (run seed, case number) names one case exactly and any case can be
// replayed alone (`fuzz.mjs --seed S --case N`).

function splitmix32(state) {
  let z = (state + 0x9e3779b9) >>> 0;
  z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
  z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
  return (z ^ (z >>> 16)) >>> 0;
}

/** The seed of case `index` of a run seeded `seed`. */
export function caseSeed(seed, index) {
  return splitmix32((splitmix32(seed >>> 0) ^ Math.imul(index + 1, 0x27d4eb2d)) >>> 0);
}

export class Rng {
  constructor(seed) {
    let s = seed >>> 0;
    this.s = new Uint32Array(4);
    for (let i = 0; i < 4; i++) {
      s = splitmix32(s + i);
      this.s[i] = s;
    }
    if ((this.s[0] | this.s[1] | this.s[2] | this.s[3]) === 0) this.s[0] = 1;
  }

  /** Uniform 32-bit unsigned integer. */
  u32() {
    const s = this.s;
    const r = Math.imul(rotl(Math.imul(s[1], 5), 7), 9) >>> 0;
    const t = s[1] << 9;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 11);
    return r;
  }

  /** Integer in [0, n). */
  int(n) {
    if (n <= 1) return 0;
    if (n <= 0x100000000) return Math.floor((this.u32() / 0x100000000) * n);
    return Math.floor(this.float() * n);
  }

  /** Integer in [lo, hi]. */
  range(lo, hi) {
    return lo + this.int(hi - lo + 1);
  }

  float() {
    return (this.u32() * 0x100000000 + this.u32()) / 2 ** 64;
  }

  chance(p) {
    return this.float() < p;
  }

  pick(list) {
    return list[this.int(list.length)];
  }

  /** Picks a key of `weights` ({name: weight}) with probability proportional to its weight. */
  weighted(weights) {
    let total = 0;
    for (const k in weights) total += weights[k];
    let x = this.float() * total;
    for (const k in weights) {
      x -= weights[k];
      if (x < 0) return k;
    }
    return Object.keys(weights)[0];
  }

  bytes(n) {
    const b = Buffer.allocUnsafe(n);
    for (let i = 0; i < n; i++) b[i] = this.u32() & 0xff;
    return b;
  }

  /** Small sizes more often than large ones: 0..max, roughly log-uniform. */
  size(max) {
    if (max <= 0) return 0;
    const bits = Math.log2(max + 1);
    return Math.min(max, Math.floor(2 ** (this.float() * bits)) - 1 + this.int(2));
  }

  shuffle(list) {
    for (let i = list.length - 1; i > 0; i--) {
      const j = this.int(i + 1);
      const t = list[i];
      list[i] = list[j];
      list[j] = t;
    }
    return list;
  }
}

function rotl(x, k) {
  return ((x << k) | (x >>> (32 - k))) >>> 0;
}
