// pcapng timestamps: a 64-bit count of units (if_tsresol: 10^-n or 2^-n seconds) split in two
// 32-bit halves. At nanosecond resolution today's count (~1.7e18) is beyond 2^53, so the
// division into seconds + nanoseconds is done exactly on the 32/16/16-bit digits, with plain
// numbers; BigInt is kept for resolutions no real capture uses (finer than 1 ns decimal, or
// binary finer than 2^-23), so the common microsecond/nanosecond paths never allocate.

/** Resolution 10^-n with n <= 9: nanoseconds = remainder * (10^(9-n)). */
export const TS_DECIMAL = 0;
/** Resolution 2^-n with n <= 23: nanoseconds = floor(remainder * 1e9 / 2^n), exact in a double. */
export const TS_BINARY = 1;
/** Anything else: exact BigInt arithmetic (rare). */
export const TS_BIGINT = 2;

const TWO32 = 4294967296;
const TWO21 = 2097152;
/** Long division on 16-bit digits stays exact while the remainder * 2^16 fits in 2^53. */
const LONG_DIV_MAX = 137438953472; // 2^37

/** Where a conversion writes its result (one per parser, reused). */
export class Timestamp {
  sec = 0;
  nsec = 0;
}

/** Decoded if_tsresol: units per second and how to turn a remainder into nanoseconds. */
export class Resolution {
  constructor(
    readonly code: number, // the if_tsresol byte
    readonly units: number, // units per second (a double: inexact only for the BIGINT kind)
    readonly kind: number,
    readonly mul: number, // TS_DECIMAL: 10^(9-n)
  ) {}

  static fromByte(code: number): Resolution {
    const n = code & 0x7f;
    if ((code & 0x80) === 0) {
      if (n <= 9) return new Resolution(code, 10 ** n, TS_DECIMAL, 10 ** (9 - n));
      return new Resolution(code, 10 ** n, TS_BIGINT, 0);
    }
    if (n <= 23) return new Resolution(code, 2 ** n, TS_BINARY, 0);
    return new Resolution(code, 2 ** n, TS_BIGINT, 0);
  }
}

/** The pcapng default (no if_tsresol option): microseconds. */
export const MICROSECONDS = Resolution.fromByte(6);

/**
 * Splits the 64-bit unit count hi:lo into seconds and nanoseconds (nanoseconds truncated
 * toward zero, as Wireshark does), then adds `offsetSec` (if_tsoffset).
 */
export function convertTimestamp(hi: number, lo: number, res: Resolution, offsetSec: number, out: Timestamp): void {
  if (res.kind === TS_BIGINT) {
    convertBig(hi, lo, res, offsetSec, out);
    return;
  }
  const d = res.units;
  let sec: number;
  let rem: number;
  if (hi < TWO21) {
    // the count fits in 53 bits: one division, corrected for rounding of the quotient
    const v = hi * TWO32 + lo;
    sec = Math.floor(v / d);
    rem = v - sec * d;
    if (rem < 0) {
      sec--;
      rem += d;
    } else if (rem >= d) {
      sec++;
      rem -= d;
    }
  } else if (d <= LONG_DIV_MAX) {
    // schoolbook division of [hi, lo>>>16, lo&0xffff] by d, every step exact
    const q1 = Math.floor(hi / d);
    let r = hi - q1 * d;
    const x = r * 65536 + (lo >>> 16);
    const q2 = Math.floor(x / d);
    r = x - q2 * d;
    const y = r * 65536 + (lo & 0xffff);
    const q3 = Math.floor(y / d);
    rem = y - q3 * d;
    sec = q1 * TWO32 + q2 * 65536 + q3;
  } else {
    convertBig(hi, lo, res, offsetSec, out);
    return;
  }
  out.sec = sec + offsetSec;
  out.nsec = res.kind === TS_DECIMAL ? rem * res.mul : Math.floor((rem * 1e9) / d);
}

function convertBig(hi: number, lo: number, res: Resolution, offsetSec: number, out: Timestamp): void {
  const n = BigInt(res.code & 0x7f);
  const units = (res.code & 0x80) === 0 ? 10n ** n : 1n << n;
  const v = (BigInt(hi) << 32n) | BigInt(lo);
  const sec = v / units;
  out.sec = Number(sec) + offsetSec;
  out.nsec = Number(((v - sec * units) * 1000000000n) / units);
}
