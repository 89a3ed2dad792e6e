;; lowbit WebAssembly SIMD kernels (128-bit SIMD only).
;;
;; Assembled by scripts/build-wasm.ts with wabt into src/_generated/kernels-wasm-bytes.ts, twice: once with the
;; memory import below as is, once with it made `shared` (for worker threads). Every pointer is a byte offset
;; into the imported memory. Elements of a "chunk" share one scale (and zero point); chunks are contiguous.
;;
;; Bit-exactness notes (the pure-TS kernels of @lowbit/kernels are the reference):
;; - integer quantization rounds q = rne(x / s) with the quotient taken in float64; the fast path computes
;;   x * fl32(1 / s) in float32 and redoes in float64 the elements that lie within 1e-4 of a rounding tie
;;   (the float32 error is below 6.2e-5 for every in-range value): $quant_chunk just those elements, the
;;   other loops their whole group of 16;
;; - float8_e4m3fn quantization encodes fl32(x / s) with saturating round-to-nearest-even, like the
;;   reference's table encoder;
;; - dequantization products are exact in float64 before the final rounding, so one float32 multiply matches.
(module
  (import "env" "memory" (memory 1 65536)) ;; @memory

  ;; ---------------------------------------------------------------------------------------------------------
  ;; range(x, nchunks, chunk, omin, omax) -> nonFinite
  ;; Per chunk c: omin[c] = min, omax[c] = max of the chunk's float32 values. Returns 1 when any value is NaN
  ;; or infinite (the caller then takes the reference path), else 0.
  ;; Four independent min / max accumulators keep the loop from waiting on one dependency chain. NaN is caught by
  ;; x != x on a sum of the 16 values of an iteration (finite values may sum to Inf, never to NaN); Inf shows in the
  ;; final min / max.
  (func $range (export "range") (param $x i32) (param $nchunks i32) (param $chunk i32) (param $omin i32) (param $omax i32)
    (result i32)
    (local $c i32) (local $p i32) (local $end i32) (local $vend i32)
    (local $mn0 v128) (local $mx0 v128) (local $mn1 v128) (local $mx1 v128)
    (local $mn2 v128) (local $mx2 v128) (local $mn3 v128) (local $mx3 v128) (local $bad v128)
    (local $v0 v128) (local $v1 v128) (local $v2 v128) (local $v3 v128)
    (local $smin f32) (local $smax f32) (local $s f32) (local $badf f32) (local $inf i32)
    (local.set $p (local.get $x))
    (block $done
      (loop $chunks
        (br_if $done (i32.ge_u (local.get $c) (local.get $nchunks)))
        (local.set $mn0 (v128.const f32x4 inf inf inf inf))
        (local.set $mn1 (local.get $mn0))
        (local.set $mn2 (local.get $mn0))
        (local.set $mn3 (local.get $mn0))
        (local.set $mx0 (v128.const f32x4 -inf -inf -inf -inf))
        (local.set $mx1 (local.get $mx0))
        (local.set $mx2 (local.get $mx0))
        (local.set $mx3 (local.get $mx0))
        (local.set $end (i32.add (local.get $p) (i32.shl (local.get $chunk) (i32.const 2))))
        (local.set $vend (i32.add (local.get $p) (i32.shl (i32.and (local.get $chunk) (i32.const -16)) (i32.const 2))))
        (block $b16
          (loop $l16
            (br_if $b16 (i32.ge_u (local.get $p) (local.get $vend)))
            (local.set $v0 (v128.load (local.get $p)))
            (local.set $v1 (v128.load offset=16 (local.get $p)))
            (local.set $v2 (v128.load offset=32 (local.get $p)))
            (local.set $v3 (v128.load offset=48 (local.get $p)))
            (local.set $mn0 (f32x4.pmin (local.get $mn0) (local.get $v0)))
            (local.set $mx0 (f32x4.pmax (local.get $mx0) (local.get $v0)))
            (local.set $mn1 (f32x4.pmin (local.get $mn1) (local.get $v1)))
            (local.set $mx1 (f32x4.pmax (local.get $mx1) (local.get $v1)))
            (local.set $mn2 (f32x4.pmin (local.get $mn2) (local.get $v2)))
            (local.set $mx2 (f32x4.pmax (local.get $mx2) (local.get $v2)))
            (local.set $mn3 (f32x4.pmin (local.get $mn3) (local.get $v3)))
            (local.set $mx3 (f32x4.pmax (local.get $mx3) (local.get $v3)))
            (local.set $v0 (f32x4.add (f32x4.add (local.get $v0) (local.get $v1)) (f32x4.add (local.get $v2) (local.get $v3))))
            (local.set $bad (v128.or (local.get $bad) (f32x4.ne (local.get $v0) (local.get $v0))))
            (local.set $p (i32.add (local.get $p) (i32.const 64)))
            (br $l16)))
        (local.set $mn0 (f32x4.pmin (f32x4.pmin (local.get $mn0) (local.get $mn1)) (f32x4.pmin (local.get $mn2) (local.get $mn3))))
        (local.set $mx0 (f32x4.pmax (f32x4.pmax (local.get $mx0) (local.get $mx1)) (f32x4.pmax (local.get $mx2) (local.get $mx3))))
        (local.set $smin (f32x4.extract_lane 0 (call $hmin (local.get $mn0))))
        (local.set $smax (f32x4.extract_lane 0 (call $hmax (local.get $mx0))))
        (block $b1
          (loop $l1
            (br_if $b1 (i32.ge_u (local.get $p) (local.get $end)))
            (local.set $s (f32.load (local.get $p)))
            (local.set $badf (f32.add (local.get $badf) (f32.sub (local.get $s) (local.get $s))))
            (if (f32.lt (local.get $s) (local.get $smin)) (then (local.set $smin (local.get $s))))
            (if (f32.gt (local.get $s) (local.get $smax)) (then (local.set $smax (local.get $s))))
            (local.set $p (i32.add (local.get $p) (i32.const 4)))
            (br $l1)))
        (local.set $inf
          (i32.or (local.get $inf)
            (i32.or (f32.eq (local.get $smin) (f32.const -inf)) (f32.eq (local.get $smax) (f32.const inf)))))
        (f32.store (i32.add (local.get $omin) (i32.shl (local.get $c) (i32.const 2))) (local.get $smin))
        (f32.store (i32.add (local.get $omax) (i32.shl (local.get $c) (i32.const 2))) (local.get $smax))
        (local.set $c (i32.add (local.get $c) (i32.const 1)))
        (br $chunks)))
    (i32.or (local.get $inf)
      (i32.or
        (v128.any_true (local.get $bad))
        (f32.ne (local.get $badf) (local.get $badf)))))

  ;; ---------------------------------------------------------------------------------------------------------
;; quant_int(x, nchunks, chunk, scales, zps, qmin, qmax, unsigned, out) -> nonFinite
  ;; One code byte per element: clamp(rne(x / s) + z, qmin, qmax), s = scales[c] (f32), z = zps[c] (i32).
  ;; `unsigned` selects the byte range [0, 255] (uint8 / uint4) instead of [-128, 127]: codes are computed minus
  ;; 128 in signed bytes and the sign bit is flipped on store, so the loop has no branch on it.
  (func (export "quant_int") (param $x i32) (param $nchunks i32) (param $chunk i32) (param $scales i32)
    (param $zps i32) (param $qmin i32) (param $qmax i32) (param $uns i32) (param $out i32) (result i32)
    (local $c i32) (local $p i32) (local $o i32) (local $end i32) (local $vend i32) (local $z i32) (local $bias i32)
    (local $stop i32)
    (local $s f32) (local $s64 f64) (local $e f64) (local $lo f64) (local $hi f64) (local $xv f32) (local $badf f32)
    (local $inv v128) (local $z16 v128) (local $lo8 v128) (local $hi8 v128) (local $flip v128)
    (local $v0 v128) (local $v1 v128) (local $v2 v128) (local $v3 v128)
    (local $r0 v128) (local $r1 v128) (local $r2 v128) (local $r3 v128)
    (local $ok v128)
    (local.set $p (local.get $x))
    (local.set $o (local.get $out))
    (local.set $bias (select (i32.const 128) (i32.const 0) (local.get $uns)))
    (local.set $lo8 (i8x16.splat (i32.sub (local.get $qmin) (local.get $bias))))
    (local.set $hi8 (i8x16.splat (i32.sub (local.get $qmax) (local.get $bias))))
    (local.set $flip (i8x16.splat (local.get $bias)))
    (block $done
      (loop $chunks
        (br_if $done (i32.ge_u (local.get $c) (local.get $nchunks)))
        (local.set $s (f32.load (i32.add (local.get $scales) (i32.shl (local.get $c) (i32.const 2)))))
        (local.set $z (i32.load (i32.add (local.get $zps) (i32.shl (local.get $c) (i32.const 2)))))
        (local.set $s64 (f64.promote_f32 (local.get $s)))
        (local.set $inv (f32x4.splat (f32.div (f32.const 1) (local.get $s))))
        (local.set $z16 (i16x8.splat (i32.sub (local.get $z) (local.get $bias))))
        (local.set $lo (f64.convert_i32_s (i32.sub (local.get $qmin) (local.get $z))))
        (local.set $hi (f64.convert_i32_s (i32.sub (local.get $qmax) (local.get $z))))
        (local.set $end (i32.add (local.get $p) (i32.shl (local.get $chunk) (i32.const 2))))
        (local.set $vend (i32.add (local.get $p) (i32.shl (i32.and (local.get $chunk) (i32.const -16)) (i32.const 2))))
        (block $b16
          (loop $l16
            (br_if $b16 (i32.ge_u (local.get $p) (local.get $vend)))
            ;; $ok stays all-ones unless an element is within 1e-4 of a tie, beyond 2^22 in code units, NaN or
            ;; infinite: those groups are redone by the exact scalar code below (which also flags NaN / Inf).
            (local.set $ok (v128.const i32x4 -1 -1 -1 -1))
            (local.set $v0 (f32x4.mul (v128.load (local.get $p)) (local.get $inv)))
            ;; clamp to +-2^22 (pmin / pmax are single instructions), then round half to even by adding 1.5 * 2^23
            (local.set $r0
              (f32x4.add
                (f32x4.pmin (f32x4.pmax (local.get $v0) (v128.const f32x4 -0x1p+22 -0x1p+22 -0x1p+22 -0x1p+22))
                  (v128.const f32x4 0x1p+22 0x1p+22 0x1p+22 0x1p+22))
                (v128.const f32x4 12582912 12582912 12582912 12582912)))
            (local.set $ok
              (v128.and (local.get $ok)
                (f32x4.le
                  (f32x4.abs (f32x4.sub (local.get $v0) (f32x4.sub (local.get $r0) (v128.const f32x4 12582912 12582912 12582912 12582912))))
                  (v128.const f32x4 0.4999 0.4999 0.4999 0.4999))))
            (local.set $r0 (i32x4.sub (local.get $r0) (v128.const i32x4 0x4b400000 0x4b400000 0x4b400000 0x4b400000)))
            (local.set $v1 (f32x4.mul (v128.load offset=16 (local.get $p)) (local.get $inv)))
            ;; clamp to +-2^22 (pmin / pmax are single instructions), then round half to even by adding 1.5 * 2^23
            (local.set $r1
              (f32x4.add
                (f32x4.pmin (f32x4.pmax (local.get $v1) (v128.const f32x4 -0x1p+22 -0x1p+22 -0x1p+22 -0x1p+22))
                  (v128.const f32x4 0x1p+22 0x1p+22 0x1p+22 0x1p+22))
                (v128.const f32x4 12582912 12582912 12582912 12582912)))
            (local.set $ok
              (v128.and (local.get $ok)
                (f32x4.le
                  (f32x4.abs (f32x4.sub (local.get $v1) (f32x4.sub (local.get $r1) (v128.const f32x4 12582912 12582912 12582912 12582912))))
                  (v128.const f32x4 0.4999 0.4999 0.4999 0.4999))))
            (local.set $r1 (i32x4.sub (local.get $r1) (v128.const i32x4 0x4b400000 0x4b400000 0x4b400000 0x4b400000)))
            (local.set $v2 (f32x4.mul (v128.load offset=32 (local.get $p)) (local.get $inv)))
            ;; clamp to +-2^22 (pmin / pmax are single instructions), then round half to even by adding 1.5 * 2^23
            (local.set $r2
              (f32x4.add
                (f32x4.pmin (f32x4.pmax (local.get $v2) (v128.const f32x4 -0x1p+22 -0x1p+22 -0x1p+22 -0x1p+22))
                  (v128.const f32x4 0x1p+22 0x1p+22 0x1p+22 0x1p+22))
                (v128.const f32x4 12582912 12582912 12582912 12582912)))
            (local.set $ok
              (v128.and (local.get $ok)
                (f32x4.le
                  (f32x4.abs (f32x4.sub (local.get $v2) (f32x4.sub (local.get $r2) (v128.const f32x4 12582912 12582912 12582912 12582912))))
                  (v128.const f32x4 0.4999 0.4999 0.4999 0.4999))))
            (local.set $r2 (i32x4.sub (local.get $r2) (v128.const i32x4 0x4b400000 0x4b400000 0x4b400000 0x4b400000)))
            (local.set $v3 (f32x4.mul (v128.load offset=48 (local.get $p)) (local.get $inv)))
            ;; clamp to +-2^22 (pmin / pmax are single instructions), then round half to even by adding 1.5 * 2^23
            (local.set $r3
              (f32x4.add
                (f32x4.pmin (f32x4.pmax (local.get $v3) (v128.const f32x4 -0x1p+22 -0x1p+22 -0x1p+22 -0x1p+22))
                  (v128.const f32x4 0x1p+22 0x1p+22 0x1p+22 0x1p+22))
                (v128.const f32x4 12582912 12582912 12582912 12582912)))
            (local.set $ok
              (v128.and (local.get $ok)
                (f32x4.le
                  (f32x4.abs (f32x4.sub (local.get $v3) (f32x4.sub (local.get $r3) (v128.const f32x4 12582912 12582912 12582912 12582912))))
                  (v128.const f32x4 0.4999 0.4999 0.4999 0.4999))))
            (local.set $r3 (i32x4.sub (local.get $r3) (v128.const i32x4 0x4b400000 0x4b400000 0x4b400000 0x4b400000)))
            ;; Saturating narrows clamp far-out values; the zero point is added with saturation in 16 bits.
            (v128.store (local.get $o)
              (v128.xor
                (i8x16.min_s
                  (i8x16.max_s
                    (i8x16.narrow_i16x8_s
                      (i16x8.add_sat_s (i16x8.narrow_i32x4_s (local.get $r0) (local.get $r1)) (local.get $z16))
                      (i16x8.add_sat_s (i16x8.narrow_i32x4_s (local.get $r2) (local.get $r3)) (local.get $z16)))
                    (local.get $lo8))
                  (local.get $hi8))
                (local.get $flip)))
            (local.set $p (i32.add (local.get $p) (i32.const 64)))
            (local.set $o (i32.add (local.get $o) (i32.const 16)))
            (br_if $l16 (i8x16.all_true (local.get $ok)))
            ;; Near a tie (rare): redo these 16 elements with the exact float64 quotient, as the reference does.
            (local.set $stop (local.get $p))
            (local.set $p (i32.sub (local.get $p) (i32.const 64)))
            (local.set $o (i32.sub (local.get $o) (i32.const 16)))
            (loop $redo
              (local.set $xv (f32.load (local.get $p)))
              (local.set $badf (f32.add (local.get $badf) (f32.sub (local.get $xv) (local.get $xv))))
              (local.set $e (f64.div (f64.promote_f32 (local.get $xv)) (local.get $s64)))
              (local.set $e (f64.min (f64.max (f64.nearest (local.get $e)) (local.get $lo)) (local.get $hi)))
              (i32.store8 (local.get $o) (i32.add (i32.trunc_sat_f64_s (local.get $e)) (local.get $z)))
              (local.set $p (i32.add (local.get $p) (i32.const 4)))
              (local.set $o (i32.add (local.get $o) (i32.const 1)))
              (br_if $redo (i32.lt_u (local.get $p) (local.get $stop))))
            (br $l16)))
        (block $b1
          (loop $l1
            (br_if $b1 (i32.ge_u (local.get $p) (local.get $end)))
            (local.set $xv (f32.load (local.get $p)))
            (local.set $badf (f32.add (local.get $badf) (f32.sub (local.get $xv) (local.get $xv))))
            (local.set $e (f64.div (f64.promote_f32 (local.get $xv)) (local.get $s64)))
            (local.set $e (f64.min (f64.max (f64.nearest (local.get $e)) (local.get $lo)) (local.get $hi)))
            (i32.store8 (local.get $o) (i32.add (i32.trunc_sat_f64_s (local.get $e)) (local.get $z)))
            (local.set $p (i32.add (local.get $p) (i32.const 4)))
            (local.set $o (i32.add (local.get $o) (i32.const 1)))
            (br $l1)))
        (local.set $c (i32.add (local.get $c) (i32.const 1)))
        (br $chunks)))
    (f32.ne (local.get $badf) (local.get $badf)))

  ;; Loop-invariant vectors of quant_int_fx, kept in globals: V8's optimizer would otherwise recompute values held
  ;; in locals (a division, conversions, splats) inside the inner loop. A global is one load there.
  (global $fx_inv (mut v128) (v128.const i32x4 0 0 0 0))
  (global $fx_mag (mut v128) (v128.const i32x4 0 0 0 0))
  (global $fx_off (mut v128) (v128.const i32x4 0 0 0 0))
  (global $fx_frac (mut v128) (v128.const i32x4 0 0 0 0))
  (global $fx_lo8 (mut v128) (v128.const i32x4 0 0 0 0))
  (global $fx_hi8 (mut v128) (v128.const i32x4 0 0 0 0))
  (global $fx_flip (mut v128) (v128.const i32x4 0 0 0 0))

  ;; ---------------------------------------------------------------------------------------------------------
  ;; quant_int_fx(x, nchunks, chunk, scales, zps, qmin, qmax, unsigned, out)
  ;; The codes of quant_int, for parameters from qparamsFromRange over the same input: the input is finite (the
  ;; caller has run `range` on it), z lies in [qmin, qmax], |x / s| <= 384 and |x / s + z| < 512 (the parameters map the block's
  ;; range into [qmin - 1/2, qmax + 1/2], give or take float32 rounding). Fewer operations per element than quant_int:
  ;; - v + 1536 + z (v = x * fl32(1 / s)) lies in [1024, 2048), where float32 values sit on the 2^-13 grid: its bits
  ;;   minus a constant give t = round(2^13 (v + z)) + 2^12 (- 2^20 for unsigned bytes) as an integer, and t >> 13
  ;;   is the code (rounded half up; minus 128 for unsigned bytes);
  ;; - saturating narrows and an i8x16 min / max clamp the codes to [qmin, qmax], an xor flips unsigned bytes back;
  ;; - the float32 error of v (below 2^-23 * 384 = 4.6e-5) plus the grid rounding (2^-14) stays below 2^-13, so a
  ;;   code can only differ from the float64 reference when t's 13 fraction bits are all zero (within 2^-13 of a
  ;;   tie); such groups of 16 are redone in float64.
  (func $quant_int_fx (export "quant_int_fx") (param $x i32) (param $nchunks i32) (param $chunk i32) (param $scales i32)
    (param $zps i32) (param $qmin i32) (param $qmax i32) (param $uns i32) (param $out i32)
    (local $c i32) (local $p i32) (local $o i32) (local $end i32) (local $vend i32) (local $z i32)
    (local $s f32) (local $s64 f64) (local $e f64) (local $lo f64) (local $hi f64)
    (local.set $p (local.get $x))
    (local.set $o (local.get $out))
    (block $done
      (loop $chunks
        (br_if $done (i32.ge_u (local.get $c) (local.get $nchunks)))
        (local.set $s (f32.load (i32.add (local.get $scales) (i32.shl (local.get $c) (i32.const 2)))))
        (local.set $z (i32.load (i32.add (local.get $zps) (i32.shl (local.get $c) (i32.const 2)))))
        (local.set $s64 (f64.promote_f32 (local.get $s)))
        (call $fx_setup (local.get $s) (local.get $z) (local.get $qmin) (local.get $qmax) (local.get $uns))
        (local.set $lo (f64.convert_i32_s (i32.sub (local.get $qmin) (local.get $z))))
        (local.set $hi (f64.convert_i32_s (i32.sub (local.get $qmax) (local.get $z))))
        (local.set $end (i32.add (local.get $p) (i32.shl (local.get $chunk) (i32.const 2))))
        (local.set $vend (i32.add (local.get $p) (i32.shl (i32.and (local.get $chunk) (i32.const -16)) (i32.const 2))))
        (if (i32.gt_u (local.get $vend) (local.get $p))
          (then
            (call $quant_chunk
              (local.get $p) (i32.and (local.get $chunk) (i32.const -16)) (local.get $o)
              (global.get $fx_inv) (global.get $fx_mag) (global.get $fx_off) (global.get $fx_lo8) (global.get $fx_hi8)
              (global.get $fx_flip) (local.get $s) (local.get $z) (local.get $qmin) (local.get $qmax))
            (local.set $o (i32.add (local.get $o) (i32.and (local.get $chunk) (i32.const -16))))
            (local.set $p (local.get $vend))))
        (block $b1
          (loop $l1
            (br_if $b1 (i32.ge_u (local.get $p) (local.get $end)))
            (local.set $e (f64.div (f64.promote_f32 (f32.load (local.get $p))) (local.get $s64)))
            (local.set $e (f64.min (f64.max (f64.nearest (local.get $e)) (local.get $lo)) (local.get $hi)))
            (i32.store8 (local.get $o) (i32.add (i32.trunc_sat_f64_s (local.get $e)) (local.get $z)))
            (local.set $p (i32.add (local.get $p) (i32.const 4)))
            (local.set $o (i32.add (local.get $o) (i32.const 1)))
            (br $l1)))
        (local.set $c (i32.add (local.get $c) (i32.const 1)))
        (br $chunks))))

  ;; ---------------------------------------------------------------------------------------------------------
  ;; quant_rows(x, nchunks, chunk, qmin, qmax, zsym, asym, out, oscales, ozps, omin, omax) -> nonFinite
  ;; Range, parameters and codes of every chunk in one pass over memory: omin / omax get the ranges (as `range`),
  ;; oscales / ozps the float32-scale parameters of qparamsFromRange (symmetric: s = fl32(2 amax / (qmax - qmin)),
  ;; z = zsym; asymmetric: s = fl32((hi - lo) / (qmax - qmin)), z = clamp(qmin - rne(lo / s), qmin, qmax); with
  ;; lo = min(min, 0), hi = max(max, 0), s = 1 for an empty range, s >= 2^-126), out the codes (as quant_int_fx).
  ;; The loop quantizes chunk c while it takes the range of chunk c + 1, so the memory reads of the next chunk
  ;; overlap the arithmetic of this one, and chunk c is quantized from L1.
  ;; The caller checks the parameters against qparamsFromRange afterwards (constant blocks, for one, get other
  ;; parameters there) and redoes any block that differs.
  ;; Returns 1 when a chunk holds NaN or Inf (later chunks are left untouched), else 0.
  (func $quant_rows (export "quant_rows") (param $x i32) (param $nchunks i32) (param $chunk i32) (param $qmin i32) (param $qmax i32)
    (param $zsym i32) (param $asym i32) (param $out i32) (param $oscales i32) (param $ozps i32) (param $omin i32)
    (param $omax i32) (result i32)
    (local $c i32) (local $bytes i32) (local $uns i32) (local $at i32)
    (if (i32.eqz (local.get $nchunks)) (then (return (i32.const 0))))
    ;; Short chunks (up to 256 elements, a multiple of 16): one chunk at a time, all in registers.
    (if (i32.and (i32.le_u (local.get $chunk) (i32.const 256)) (i32.eqz (i32.and (local.get $chunk) (i32.const 15))))
      (then
        (return
          (call $quant_small (local.get $x) (local.get $nchunks) (local.get $chunk) (local.get $qmin) (local.get $qmax)
            (local.get $zsym) (local.get $asym) (local.get $out) (local.get $oscales) (local.get $ozps)
            (local.get $omin) (local.get $omax)))))
    (local.set $uns (i32.ge_s (local.get $qmin) (i32.const 0)))
    (local.set $bytes (i32.shl (local.get $chunk) (i32.const 2)))
    (if (call $range (local.get $x) (i32.const 1) (local.get $chunk) (local.get $omin) (local.get $omax))
      (then (return (i32.const 1))))
    (block $done
      (loop $chunks
        (local.set $at (i32.shl (local.get $c) (i32.const 2)))
        (call $params
          (i32.add (local.get $omin) (local.get $at)) (i32.add (local.get $omax) (local.get $at))
          (i32.add (local.get $oscales) (local.get $at)) (i32.add (local.get $ozps) (local.get $at))
          (local.get $qmin) (local.get $qmax) (local.get $zsym) (local.get $asym))
        (if (i32.lt_u (i32.add (local.get $c) (i32.const 1)) (local.get $nchunks))
          (then
            (if (call $quant_range
                  (i32.add (local.get $x) (i32.mul (local.get $c) (local.get $bytes)))
                  (i32.add (local.get $x) (i32.mul (i32.add (local.get $c) (i32.const 1)) (local.get $bytes)))
                  (local.get $chunk)
                  (f32.load (i32.add (local.get $oscales) (local.get $at)))
                  (i32.load (i32.add (local.get $ozps) (local.get $at)))
                  (local.get $qmin) (local.get $qmax) (local.get $uns)
                  (i32.add (local.get $out) (i32.mul (local.get $c) (local.get $chunk)))
                  (i32.add (local.get $omin) (i32.add (local.get $at) (i32.const 4)))
                  (i32.add (local.get $omax) (i32.add (local.get $at) (i32.const 4))))
              (then (return (i32.const 1)))))
          (else
            (call $quant_int_fx
              (i32.add (local.get $x) (i32.mul (local.get $c) (local.get $bytes))) (i32.const 1) (local.get $chunk)
              (i32.add (local.get $oscales) (local.get $at)) (i32.add (local.get $ozps) (local.get $at))
              (local.get $qmin) (local.get $qmax) (local.get $uns)
              (i32.add (local.get $out) (i32.mul (local.get $c) (local.get $chunk))))
            (br $done)))
        (local.set $c (i32.add (local.get $c) (i32.const 1)))
        (br $chunks)))
    (i32.const 0))

  ;; ---------------------------------------------------------------------------------------------------------
  ;; quant_rows_part(x, chunk, qmin, qmax, zsym, asym, out, oscales, ozps, omin, omax, obad, packed, n0, n1)
  ;; One thread's share of a threaded quant_rows: chunks [n0, n1) of the chunks at x (chunk c at x + 4 c chunk),
  ;; code bytes of chunk c at out + c chunk, its parameters and range at index c of oscales / ozps / omin / omax.
  ;; With packed != 0 (4-bit codes) the share's code bytes are then packed as pack4 does to packed + n0 chunk / 2
  ;; (n0 chunk must be even). Stores 1 at obad when its chunks hold NaN or Inf, and never stores 0 there (the
  ;; caller clears it first).
  (func (export "quant_rows_part") (param $x i32) (param $chunk i32) (param $qmin i32) (param $qmax i32)
    (param $zsym i32) (param $asym i32) (param $out i32) (param $oscales i32) (param $ozps i32) (param $omin i32)
    (param $omax i32) (param $obad i32) (param $packed i32) (param $n0 i32) (param $n1 i32)
    (local $at i32) (local $first i32)
    (if (i32.ge_u (local.get $n0) (local.get $n1)) (then (return)))
    (local.set $at (i32.shl (local.get $n0) (i32.const 2)))
    (local.set $first (i32.mul (local.get $n0) (local.get $chunk)))
    (if (call $quant_rows
          (i32.add (local.get $x) (i32.mul (local.get $at) (local.get $chunk)))
          (i32.sub (local.get $n1) (local.get $n0))
          (local.get $chunk) (local.get $qmin) (local.get $qmax) (local.get $zsym) (local.get $asym)
          (i32.add (local.get $out) (local.get $first))
          (i32.add (local.get $oscales) (local.get $at)) (i32.add (local.get $ozps) (local.get $at))
          (i32.add (local.get $omin) (local.get $at)) (i32.add (local.get $omax) (local.get $at)))
      (then
        (i32.store (local.get $obad) (i32.const 1))
        (return)))
    (if (local.get $packed)
      (then
        (call $pack4
          (i32.add (local.get $out) (local.get $first))
          (i32.mul (i32.sub (local.get $n1) (local.get $n0)) (local.get $chunk))
          (i32.add (local.get $packed) (i32.shr_u (local.get $first) (i32.const 1)))))))

  ;; quant_rows for short chunks ($chunk a multiple of 16, at most 256): four chunks at a time, their ranges
  ;; reduced into one vector each (lane j = chunk j), the parameters of all four computed lane by lane with the
  ;; same operations $params applies to one, then each chunk's codes (as quant_int_fx) while it is in L1. Leftover
  ;; chunks (nchunks % 4) go one by one through $params. Same outputs as quant_rows; returns 1 on NaN or Inf.
  (func $quant_small (param $x i32) (param $nchunks i32) (param $chunk i32) (param $qmin i32) (param $qmax i32)
    (param $zsym i32) (param $asym i32) (param $out i32) (param $oscales i32) (param $ozps i32) (param $omin i32)
    (param $omax i32) (result i32)
    (local $c i32) (local $p i32) (local $bytes i32) (local $at i32) (local $j i32) (local $bias i32) (local $z i32)
    (local $mn0 v128) (local $mn1 v128) (local $mn2 v128) (local $mn3 v128)
    (local $mx0 v128) (local $mx1 v128) (local $mx2 v128) (local $mx3 v128) (local $bad v128) (local $b v128)
    (local $mn v128) (local $mx v128) (local $lo v128) (local $hi v128) (local $w v128) (local $sl v128) (local $sh v128)
    (local $s4 v128) (local $z4 v128) (local $inv4 v128) (local $mag4 v128)
    (local $off v128) (local $lo8 v128) (local $hi8 v128) (local $flip v128)
    (local.set $bias (select (i32.const 128) (i32.const 0) (i32.ge_s (local.get $qmin) (i32.const 0))))
    (local.set $off (i32x4.splat (i32.add (i32.const 0x44bff000) (i32.shl (local.get $bias) (i32.const 13)))))
    (local.set $lo8 (i8x16.splat (i32.sub (local.get $qmin) (local.get $bias))))
    (local.set $hi8 (i8x16.splat (i32.sub (local.get $qmax) (local.get $bias))))
    (local.set $flip (i8x16.splat (local.get $bias)))
    (local.set $bytes (i32.shl (local.get $chunk) (i32.const 2)))
    (local.set $p (local.get $x))
    (block $done4
      (loop $groups
        (br_if $done4 (i32.gt_u (i32.add (local.get $c) (i32.const 4)) (local.get $nchunks)))
        (call $chunk_minmax (local.get $p) (local.get $bytes))
        (local.set $b) (local.set $mx0) (local.set $mn0)
        (local.set $bad (local.get $b))
        (call $chunk_minmax (i32.add (local.get $p) (local.get $bytes)) (local.get $bytes))
        (local.set $b) (local.set $mx1) (local.set $mn1)
        (local.set $bad (v128.or (local.get $bad) (local.get $b)))
        (call $chunk_minmax (i32.add (local.get $p) (i32.shl (local.get $bytes) (i32.const 1))) (local.get $bytes))
        (local.set $b) (local.set $mx2) (local.set $mn2)
        (local.set $bad (v128.or (local.get $bad) (local.get $b)))
        (call $chunk_minmax (i32.add (local.get $p) (i32.mul (local.get $bytes) (i32.const 3))) (local.get $bytes))
        (local.set $b) (local.set $mx3) (local.set $mn3)
        (local.set $bad (v128.or (local.get $bad) (local.get $b)))
        ;; lane j of mn / mx = the min / max of chunk c + j
        (local.set $mn
          (call $lanes4_pmin
            (f32x4.pmin
              (i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23 (local.get $mn0) (local.get $mn1))
              (i8x16.shuffle 8 9 10 11 12 13 14 15 24 25 26 27 28 29 30 31 (local.get $mn0) (local.get $mn1)))
            (f32x4.pmin
              (i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23 (local.get $mn2) (local.get $mn3))
              (i8x16.shuffle 8 9 10 11 12 13 14 15 24 25 26 27 28 29 30 31 (local.get $mn2) (local.get $mn3)))))
        (local.set $mx
          (call $lanes4_pmax
            (f32x4.pmax
              (i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23 (local.get $mx0) (local.get $mx1))
              (i8x16.shuffle 8 9 10 11 12 13 14 15 24 25 26 27 28 29 30 31 (local.get $mx0) (local.get $mx1)))
            (f32x4.pmax
              (i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23 (local.get $mx2) (local.get $mx3))
              (i8x16.shuffle 8 9 10 11 12 13 14 15 24 25 26 27 28 29 30 31 (local.get $mx2) (local.get $mx3)))))
        ;; NaN anywhere, or an infinite end: the caller takes the reference path
        (if (v128.any_true
              (v128.or (local.get $bad)
                (v128.or (f32x4.eq (local.get $mn) (v128.const f32x4 -inf -inf -inf -inf))
                  (f32x4.eq (local.get $mx) (v128.const f32x4 inf inf inf inf)))))
          (then (return (i32.const 1))))
        (local.set $at (i32.shl (local.get $c) (i32.const 2)))
        (v128.store (i32.add (local.get $omin) (local.get $at)) (local.get $mn))
        (v128.store (i32.add (local.get $omax) (local.get $at)) (local.get $mx))
        ;; $params lane by lane, in float64 halves: lo = min(min, 0), hi = max(max, 0), w, s = fl32(max(w / levels
        ;; or 1 when w <= 0, 2^-126)), z = clamp(qmin - rne(max(-2^40, lo / s))) for asymmetric, else zsym
        (local.set $sl
          (call $params2
            (f64x2.promote_low_f32x4 (local.get $mn)) (f64x2.promote_low_f32x4 (local.get $mx))
            (local.get $qmin) (local.get $qmax) (local.get $asym)))
        (local.set $sh
          (call $params2
            (f64x2.promote_low_f32x4 (i8x16.shuffle 8 9 10 11 12 13 14 15 8 9 10 11 12 13 14 15 (local.get $mn) (local.get $mn)))
            (f64x2.promote_low_f32x4 (i8x16.shuffle 8 9 10 11 12 13 14 15 8 9 10 11 12 13 14 15 (local.get $mx) (local.get $mx)))
            (local.get $qmin) (local.get $qmax) (local.get $asym)))
        (local.set $s4 (i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23 (local.get $sl) (local.get $sh)))
        (if (local.get $asym)
          (then
            (local.set $z4
              (i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23
                (call $zero_points2
                  (f64x2.promote_low_f32x4 (local.get $mn)) (f64x2.promote_low_f32x4 (local.get $sl)))
                (call $zero_points2
                  (f64x2.promote_low_f32x4
                    (i8x16.shuffle 8 9 10 11 12 13 14 15 8 9 10 11 12 13 14 15 (local.get $mn) (local.get $mn)))
                  (f64x2.promote_low_f32x4 (local.get $sh)))))
            (local.set $z4
              (i32x4.min_s
                (i32x4.max_s (i32x4.sub (i32x4.splat (local.get $qmin)) (local.get $z4)) (i32x4.splat (local.get $qmin)))
                (i32x4.splat (local.get $qmax)))))
          (else (local.set $z4 (i32x4.splat (local.get $zsym)))))
        (v128.store (i32.add (local.get $oscales) (local.get $at)) (local.get $s4))
        (v128.store (i32.add (local.get $ozps) (local.get $at)) (local.get $z4))
        (local.set $inv4 (f32x4.div (v128.const f32x4 1 1 1 1) (local.get $s4)))
        (local.set $mag4 (f32x4.convert_i32x4_s (i32x4.add (local.get $z4) (v128.const i32x4 1536 1536 1536 1536))))
        ;; the four chunks' codes
        (local.set $j (i32.const 0))
        (loop $codes
          (call $quant_chunk
            (i32.add (local.get $p) (i32.mul (local.get $j) (local.get $bytes))) (local.get $chunk)
            (i32.add (local.get $out) (i32.mul (i32.add (local.get $c) (local.get $j)) (local.get $chunk)))
            (f32x4.splat (call $lane_f32 (local.get $inv4) (local.get $j)))
            (f32x4.splat (call $lane_f32 (local.get $mag4) (local.get $j)))
            (local.get $off) (local.get $lo8) (local.get $hi8) (local.get $flip)
            (call $lane_f32 (local.get $s4) (local.get $j))
            (call $lane_i32 (local.get $z4) (local.get $j))
            (local.get $qmin) (local.get $qmax))
          (local.set $j (i32.add (local.get $j) (i32.const 1)))
          (br_if $codes (i32.lt_u (local.get $j) (i32.const 4))))
        (local.set $c (i32.add (local.get $c) (i32.const 4)))
        (local.set $p (i32.add (local.get $p) (i32.shl (local.get $bytes) (i32.const 2))))
        (br $groups)))
    ;; leftover chunks, one at a time
    (block $done
      (loop $chunks
        (br_if $done (i32.ge_u (local.get $c) (local.get $nchunks)))
        (call $chunk_minmax (local.get $p) (local.get $bytes))
        (local.set $b) (local.set $mx) (local.set $mn)
        (local.set $mn (call $hmin (local.get $mn)))
        (local.set $mx (call $hmax (local.get $mx)))
        (if (i32.or (v128.any_true (local.get $b))
              (i32.or (f32.eq (f32x4.extract_lane 0 (local.get $mn)) (f32.const -inf))
                (f32.eq (f32x4.extract_lane 0 (local.get $mx)) (f32.const inf))))
          (then (return (i32.const 1))))
        (local.set $at (i32.shl (local.get $c) (i32.const 2)))
        (f32.store (i32.add (local.get $omin) (local.get $at)) (f32x4.extract_lane 0 (local.get $mn)))
        (f32.store (i32.add (local.get $omax) (local.get $at)) (f32x4.extract_lane 0 (local.get $mx)))
        (call $params
          (i32.add (local.get $omin) (local.get $at)) (i32.add (local.get $omax) (local.get $at))
          (i32.add (local.get $oscales) (local.get $at)) (i32.add (local.get $ozps) (local.get $at))
          (local.get $qmin) (local.get $qmax) (local.get $zsym) (local.get $asym))
        (local.set $z (i32.load (i32.add (local.get $ozps) (local.get $at))))
        (call $quant_chunk
          (local.get $p) (local.get $chunk) (i32.add (local.get $out) (i32.mul (local.get $c) (local.get $chunk)))
          (f32x4.splat (f32.div (f32.const 1) (f32.load (i32.add (local.get $oscales) (local.get $at)))))
          (f32x4.splat (f32.convert_i32_s (i32.add (i32.const 1536) (local.get $z))))
          (local.get $off) (local.get $lo8) (local.get $hi8) (local.get $flip)
          (f32.load (i32.add (local.get $oscales) (local.get $at))) (local.get $z) (local.get $qmin) (local.get $qmax))
        (local.set $c (i32.add (local.get $c) (i32.const 1)))
        (local.set $p (i32.add (local.get $p) (local.get $bytes)))
        (br $chunks)))
    (i32.const 0))

  ;; Per-lane min, max and NaN mask (all ones in a lane that met a NaN) of the `bytes` / 4 float32 values at p
  ;; (bytes a multiple of 64).
  (func $chunk_minmax (param $p i32) (param $bytes i32) (result v128 v128 v128)
    (local $end i32) (local $mn v128) (local $mx v128) (local $bad v128)
    (local $v0 v128) (local $v1 v128) (local $v2 v128) (local $v3 v128)
    (local.set $end (i32.add (local.get $p) (local.get $bytes)))
    (local.set $mn (v128.const f32x4 inf inf inf inf))
    (local.set $mx (v128.const f32x4 -inf -inf -inf -inf))
    (loop $r16
      (local.set $v0 (v128.load (local.get $p)))
      (local.set $v1 (v128.load offset=16 (local.get $p)))
      (local.set $v2 (v128.load offset=32 (local.get $p)))
      (local.set $v3 (v128.load offset=48 (local.get $p)))
      (local.set $mn (f32x4.pmin (local.get $mn)
        (f32x4.pmin (f32x4.pmin (local.get $v0) (local.get $v1)) (f32x4.pmin (local.get $v2) (local.get $v3)))))
      (local.set $mx (f32x4.pmax (local.get $mx)
        (f32x4.pmax (f32x4.pmax (local.get $v0) (local.get $v1)) (f32x4.pmax (local.get $v2) (local.get $v3)))))
      ;; finite values may sum to Inf, never to NaN
      (local.set $v0 (f32x4.add (f32x4.add (local.get $v0) (local.get $v1)) (f32x4.add (local.get $v2) (local.get $v3))))
      (local.set $bad (v128.or (local.get $bad) (f32x4.ne (local.get $v0) (local.get $v0))))
      (local.set $p (i32.add (local.get $p) (i32.const 64)))
      (br_if $r16 (i32.lt_u (local.get $p) (local.get $end))))
    (local.get $mn) (local.get $mx) (local.get $bad))

  ;; Given a = [a0, a1, b0, b1] (pairwise minima of the lanes of chunks A and B) and c likewise for chunks C and
  ;; D, the vector [min A, min B, min C, min D].
  (func $lanes4_pmin (param $a v128) (param $c v128) (result v128)
    (f32x4.pmin
      (i8x16.shuffle 0 1 2 3 8 9 10 11 16 17 18 19 24 25 26 27 (local.get $a) (local.get $c))
      (i8x16.shuffle 4 5 6 7 12 13 14 15 20 21 22 23 28 29 30 31 (local.get $a) (local.get $c))))

  ;; As $lanes4_pmin with maxima.
  (func $lanes4_pmax (param $a v128) (param $c v128) (result v128)
    (f32x4.pmax
      (i8x16.shuffle 0 1 2 3 8 9 10 11 16 17 18 19 24 25 26 27 (local.get $a) (local.get $c))
      (i8x16.shuffle 4 5 6 7 12 13 14 15 20 21 22 23 28 29 30 31 (local.get $a) (local.get $c))))

  ;; The minimum / maximum of the four lanes of v, in every lane.
  (func $hmin (param $v v128) (result v128)
    (local.set $v (f32x4.pmin (local.get $v) (i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7 (local.get $v) (local.get $v))))
    (f32x4.pmin (local.get $v) (i8x16.shuffle 4 5 6 7 0 1 2 3 4 5 6 7 0 1 2 3 (local.get $v) (local.get $v))))
  (func $hmax (param $v v128) (result v128)
    (local.set $v (f32x4.pmax (local.get $v) (i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7 (local.get $v) (local.get $v))))
    (f32x4.pmax (local.get $v) (i8x16.shuffle 4 5 6 7 0 1 2 3 4 5 6 7 0 1 2 3 (local.get $v) (local.get $v))))

  ;; The scales of $params for two blocks at once (float64 lanes of their min and max), as float32 in lanes 0-1.
  (func $params2 (param $min v128) (param $max v128) (param $qmin i32) (param $qmax i32) (param $asym i32)
    (result v128)
    (local $lo v128) (local $hi v128) (local $w v128)
    (local.set $lo (f64x2.min (local.get $min) (v128.const f64x2 0 0)))
    (local.set $hi (f64x2.max (local.get $max) (v128.const f64x2 0 0)))
    (if (local.get $asym)
      (then (local.set $w (f64x2.sub (local.get $hi) (local.get $lo))))
      (else
        (local.set $w
          (f64x2.mul (v128.const f64x2 2 2) (f64x2.max (f64x2.neg (local.get $lo)) (local.get $hi))))))
    (f32x4.demote_f64x2_zero
      (f64x2.max
        (v128.bitselect
          (f64x2.div (local.get $w) (f64x2.splat (f64.convert_i32_s (i32.sub (local.get $qmax) (local.get $qmin)))))
          (v128.const f64x2 1 1)
          (f64x2.gt (local.get $w) (v128.const f64x2 0 0)))
        (v128.const f64x2 0x1p-126 0x1p-126))))

  ;; rne(max(-2^40, lo / s)) of $params for two asymmetric blocks (float64 lanes of min and of the float32
  ;; scale), as int32 in lanes 0-1.
  (func $zero_points2 (param $min v128) (param $s v128) (result v128)
    (i32x4.trunc_sat_f64x2_s_zero
      (f64x2.nearest
        (f64x2.max (v128.const f64x2 -0x1p+40 -0x1p+40)
          (f64x2.div (f64x2.min (local.get $min) (v128.const f64x2 0 0)) (local.get $s))))))

  ;; Lane j (0-3) of a float32 / int32 vector.
  (func $lane_f32 (param $v v128) (param $j i32) (result f32)
    (f32.reinterpret_i32 (call $lane_i32 (local.get $v) (local.get $j))))
  (func $lane_i32 (param $v v128) (param $j i32) (result i32)
    (if (result i32) (i32.lt_u (local.get $j) (i32.const 2))
      (then
        (select (i32x4.extract_lane 1 (local.get $v)) (i32x4.extract_lane 0 (local.get $v)) (local.get $j)))
      (else
        (select (i32x4.extract_lane 3 (local.get $v)) (i32x4.extract_lane 2 (local.get $v)) (i32.and (local.get $j) (i32.const 1))))))

  ;; Codes of one chunk of `chunk` float32 values at p (a multiple of 16) into o, as quant_int_fx: inv, mag, off,
  ;; lo8, hi8, flip are its loop vectors ($fx_setup), s and z its scale and zero point for the exact redo.
  (func $quant_chunk (param $p i32) (param $chunk i32) (param $o i32) (param $inv v128) (param $mag v128)
    (param $off v128) (param $lo8 v128) (param $hi8 v128) (param $flip v128) (param $s f32) (param $z i32)
    (param $qmin i32) (param $qmax i32)
    (local $end i32) (local $mask i32) (local $k i32) (local $e f64) (local $s64 f64) (local $lo f64) (local $hi f64)
    (local $frac v128) (local $t0 v128) (local $t1 v128) (local $t2 v128) (local $t3 v128)
    (local.set $frac (v128.const i32x4 8191 8191 8191 8191))
    (local.set $end (i32.add (local.get $p) (i32.shl (local.get $chunk) (i32.const 2))))
    (loop $q16
      (local.set $t0
        (i32x4.sub (f32x4.add (f32x4.mul (v128.load (local.get $p)) (local.get $inv)) (local.get $mag)) (local.get $off)))
      (local.set $t1
        (i32x4.sub (f32x4.add (f32x4.mul (v128.load offset=16 (local.get $p)) (local.get $inv)) (local.get $mag)) (local.get $off)))
      (local.set $t2
        (i32x4.sub (f32x4.add (f32x4.mul (v128.load offset=32 (local.get $p)) (local.get $inv)) (local.get $mag)) (local.get $off)))
      (local.set $t3
        (i32x4.sub (f32x4.add (f32x4.mul (v128.load offset=48 (local.get $p)) (local.get $inv)) (local.get $mag)) (local.get $off)))
      (v128.store (local.get $o)
        (v128.xor
          (i8x16.min_s
            (i8x16.max_s
              (i8x16.narrow_i16x8_s
                (i16x8.narrow_i32x4_s (i32x4.shr_s (local.get $t0) (i32.const 13)) (i32x4.shr_s (local.get $t1) (i32.const 13)))
                (i16x8.narrow_i32x4_s (i32x4.shr_s (local.get $t2) (i32.const 13)) (i32x4.shr_s (local.get $t3) (i32.const 13))))
              (local.get $lo8))
            (local.get $hi8))
          (local.get $flip)))
      (local.set $p (i32.add (local.get $p) (i32.const 64)))
      (local.set $o (i32.add (local.get $o) (i32.const 16)))
      ;; all fraction fields nonzero: no element within 2^-13 of a tie
      (if (i32.eqz
            (i32x4.all_true
              (i32x4.min_u
                (i32x4.min_u (v128.and (local.get $t0) (local.get $frac)) (v128.and (local.get $t1) (local.get $frac)))
                (i32x4.min_u (v128.and (local.get $t2) (local.get $frac)) (v128.and (local.get $t3) (local.get $frac))))))
        (then
          ;; Near a tie: redo the codes of just those elements with the exact float64 quotient, as the reference
          ;; does. (Not rare in short blocks: the element of largest magnitude often sits at one, e.g. at 7.5 for a
          ;; symmetric int4 block, so this must not redo all 16.)
          (local.set $s64 (f64.promote_f32 (local.get $s)))
          (local.set $lo (f64.convert_i32_s (i32.sub (local.get $qmin) (local.get $z))))
          (local.set $hi (f64.convert_i32_s (i32.sub (local.get $qmax) (local.get $z))))
          (local.set $mask
            (i8x16.bitmask
              (i8x16.narrow_i16x8_s
                (i16x8.narrow_i32x4_s
                  (i32x4.eq (v128.and (local.get $t0) (local.get $frac)) (v128.const i32x4 0 0 0 0))
                  (i32x4.eq (v128.and (local.get $t1) (local.get $frac)) (v128.const i32x4 0 0 0 0)))
                (i16x8.narrow_i32x4_s
                  (i32x4.eq (v128.and (local.get $t2) (local.get $frac)) (v128.const i32x4 0 0 0 0))
                  (i32x4.eq (v128.and (local.get $t3) (local.get $frac)) (v128.const i32x4 0 0 0 0))))))
          (loop $redo
            (local.set $k (i32.ctz (local.get $mask)))
            (local.set $e
              (f64.div
                (f64.promote_f32 (f32.load (i32.sub (local.get $p) (i32.sub (i32.const 64) (i32.shl (local.get $k) (i32.const 2))))))
                (local.get $s64)))
            (local.set $e (f64.min (f64.max (f64.nearest (local.get $e)) (local.get $lo)) (local.get $hi)))
            (i32.store8 (i32.sub (local.get $o) (i32.sub (i32.const 16) (local.get $k)))
              (i32.add (i32.trunc_sat_f64_s (local.get $e)) (local.get $z)))
            (local.set $mask (i32.and (local.get $mask) (i32.sub (local.get $mask) (i32.const 1))))
            (br_if $redo (local.get $mask)))))
      (br_if $q16 (i32.lt_u (local.get $p) (local.get $end)))))

  ;; Parameters of one block from its range (see quant_rows): reads *pmin, *pmax, writes *ps, *pz.
  (func $params (param $pmin i32) (param $pmax i32) (param $ps i32) (param $pz i32) (param $qmin i32) (param $qmax i32)
    (param $zsym i32) (param $asym i32)
    (local $lo f64) (local $hi f64) (local $w f64) (local $s f32) (local $z i32)
    (local.set $lo (f64.min (f64.promote_f32 (f32.load (local.get $pmin))) (f64.const 0)))
    (local.set $hi (f64.max (f64.promote_f32 (f32.load (local.get $pmax))) (f64.const 0)))
    (if (local.get $asym)
      (then (local.set $w (f64.sub (local.get $hi) (local.get $lo))))
      (else (local.set $w (f64.mul (f64.const 2) (f64.max (f64.neg (local.get $lo)) (local.get $hi))))))
    (local.set $s
      (f32.demote_f64
        (f64.max
          (select
            (f64.div (local.get $w) (f64.convert_i32_s (i32.sub (local.get $qmax) (local.get $qmin))))
            (f64.const 1)
            (f64.gt (local.get $w) (f64.const 0)))
          (f64.const 0x1p-126))))
    (local.set $z (local.get $zsym))
    (if (local.get $asym)
      (then
        (local.set $z
          (i32.sub (local.get $qmin)
            (i32.trunc_sat_f64_s
              (f64.nearest (f64.max (f64.const -0x1p+40) (f64.div (local.get $lo) (f64.promote_f32 (local.get $s))))))))
        (if (i32.lt_s (local.get $z) (local.get $qmin)) (then (local.set $z (local.get $qmin))))
        (if (i32.gt_s (local.get $z) (local.get $qmax)) (then (local.set $z (local.get $qmax))))))
    (f32.store (local.get $ps) (local.get $s))
    (i32.store (local.get $pz) (local.get $z)))

  ;; Sets the loop-invariant vectors of the quant_int_fx loop for scale s and zero point z.
  (func $fx_setup (param $s f32) (param $z i32) (param $qmin i32) (param $qmax i32) (param $uns i32)
    (local $bias i32)
    (local.set $bias (select (i32.const 128) (i32.const 0) (local.get $uns)))
    (global.set $fx_off (i32x4.splat (i32.add (i32.const 0x44bff000) (i32.shl (local.get $bias) (i32.const 13)))))
    (global.set $fx_frac (v128.const i32x4 8191 8191 8191 8191))
    (global.set $fx_lo8 (i8x16.splat (i32.sub (local.get $qmin) (local.get $bias))))
    (global.set $fx_hi8 (i8x16.splat (i32.sub (local.get $qmax) (local.get $bias))))
    (global.set $fx_flip (i8x16.splat (local.get $bias)))
    (global.set $fx_inv (f32x4.splat (f32.div (f32.const 1) (local.get $s))))
    (global.set $fx_mag (f32x4.splat (f32.convert_i32_s (i32.add (i32.const 1536) (local.get $z))))))

  ;; Codes of the chunk at xq (scale s, zero point z; as quant_int_fx) into outq, and the range of the chunk at xr
  ;; (as `range`) into *pmin, *pmax, in one loop. Returns 1 when the chunk at xr holds NaN or Inf.
  (func $quant_range (param $xq i32) (param $xr i32) (param $chunk i32) (param $s f32) (param $z i32) (param $qmin i32)
    (param $qmax i32) (param $uns i32) (param $outq i32) (param $pmin i32) (param $pmax i32) (result i32)
    (local $p i32) (local $o i32) (local $r i32) (local $vend i32) (local $end i32) (local $stop i32) (local $rend i32)
    (local $s64 f64) (local $e f64) (local $lo f64) (local $hi f64)
    (local $t0 v128) (local $t1 v128) (local $t2 v128) (local $t3 v128)
    (local $mn0 v128) (local $mx0 v128) (local $mn1 v128) (local $mx1 v128) (local $bad v128)
    (local $v0 v128) (local $v1 v128) (local $v2 v128) (local $v3 v128)
    (local $smin f32) (local $smax f32) (local $v f32) (local $badf f32)
    (call $fx_setup (local.get $s) (local.get $z) (local.get $qmin) (local.get $qmax) (local.get $uns))
    (local.set $s64 (f64.promote_f32 (local.get $s)))
    (local.set $lo (f64.convert_i32_s (i32.sub (local.get $qmin) (local.get $z))))
    (local.set $hi (f64.convert_i32_s (i32.sub (local.get $qmax) (local.get $z))))
    (local.set $p (local.get $xq))
    (local.set $o (local.get $outq))
    (local.set $r (local.get $xr))
    (local.set $mn0 (v128.const f32x4 inf inf inf inf))
    (local.set $mn1 (local.get $mn0))
    (local.set $mx0 (v128.const f32x4 -inf -inf -inf -inf))
    (local.set $mx1 (local.get $mx0))
    (local.set $end (i32.add (local.get $p) (i32.shl (local.get $chunk) (i32.const 2))))
    (local.set $rend (i32.add (local.get $r) (i32.shl (local.get $chunk) (i32.const 2))))
    (local.set $vend (i32.add (local.get $p) (i32.shl (i32.and (local.get $chunk) (i32.const -16)) (i32.const 2))))
    (block $b16
      (loop $l16
        (br_if $b16 (i32.ge_u (local.get $p) (local.get $vend)))
        (local.set $t0
          (i32x4.sub (f32x4.add (f32x4.mul (v128.load (local.get $p)) (global.get $fx_inv)) (global.get $fx_mag)) (global.get $fx_off)))
        (local.set $t1
          (i32x4.sub (f32x4.add (f32x4.mul (v128.load offset=16 (local.get $p)) (global.get $fx_inv)) (global.get $fx_mag)) (global.get $fx_off)))
        (local.set $t2
          (i32x4.sub (f32x4.add (f32x4.mul (v128.load offset=32 (local.get $p)) (global.get $fx_inv)) (global.get $fx_mag)) (global.get $fx_off)))
        (local.set $t3
          (i32x4.sub (f32x4.add (f32x4.mul (v128.load offset=48 (local.get $p)) (global.get $fx_inv)) (global.get $fx_mag)) (global.get $fx_off)))
        (v128.store (local.get $o)
          (v128.xor
            (i8x16.min_s
              (i8x16.max_s
                (i8x16.narrow_i16x8_s
                  (i16x8.narrow_i32x4_s (i32x4.shr_s (local.get $t0) (i32.const 13)) (i32x4.shr_s (local.get $t1) (i32.const 13)))
                  (i16x8.narrow_i32x4_s (i32x4.shr_s (local.get $t2) (i32.const 13)) (i32x4.shr_s (local.get $t3) (i32.const 13))))
                (global.get $fx_lo8))
              (global.get $fx_hi8))
            (global.get $fx_flip)))
        ;; the range of the next chunk, 16 values
        (local.set $v0 (v128.load (local.get $r)))
        (local.set $v1 (v128.load offset=16 (local.get $r)))
        (local.set $v2 (v128.load offset=32 (local.get $r)))
        (local.set $v3 (v128.load offset=48 (local.get $r)))
        (local.set $mn0 (f32x4.pmin (f32x4.pmin (local.get $mn0) (local.get $v0)) (local.get $v2)))
        (local.set $mx0 (f32x4.pmax (f32x4.pmax (local.get $mx0) (local.get $v0)) (local.get $v2)))
        (local.set $mn1 (f32x4.pmin (f32x4.pmin (local.get $mn1) (local.get $v1)) (local.get $v3)))
        (local.set $mx1 (f32x4.pmax (f32x4.pmax (local.get $mx1) (local.get $v1)) (local.get $v3)))
        (local.set $v0 (f32x4.add (f32x4.add (local.get $v0) (local.get $v1)) (f32x4.add (local.get $v2) (local.get $v3))))
        (local.set $bad (v128.or (local.get $bad) (f32x4.ne (local.get $v0) (local.get $v0))))
        (local.set $p (i32.add (local.get $p) (i32.const 64)))
        (local.set $o (i32.add (local.get $o) (i32.const 16)))
        (local.set $r (i32.add (local.get $r) (i32.const 64)))
        (br_if $l16
          (i32x4.all_true
            (i32x4.min_u
              (i32x4.min_u (v128.and (local.get $t0) (global.get $fx_frac)) (v128.and (local.get $t1) (global.get $fx_frac)))
              (i32x4.min_u (v128.and (local.get $t2) (global.get $fx_frac)) (v128.and (local.get $t3) (global.get $fx_frac))))))
        ;; Near a tie (rare): redo these 16 codes with the exact float64 quotient, as the reference does.
        (local.set $stop (local.get $p))
        (local.set $p (i32.sub (local.get $p) (i32.const 64)))
        (local.set $o (i32.sub (local.get $o) (i32.const 16)))
        (loop $redo
          (local.set $e (f64.div (f64.promote_f32 (f32.load (local.get $p))) (local.get $s64)))
          (local.set $e (f64.min (f64.max (f64.nearest (local.get $e)) (local.get $lo)) (local.get $hi)))
          (i32.store8 (local.get $o) (i32.add (i32.trunc_sat_f64_s (local.get $e)) (local.get $z)))
          (local.set $p (i32.add (local.get $p) (i32.const 4)))
          (local.set $o (i32.add (local.get $o) (i32.const 1)))
          (br_if $redo (i32.lt_u (local.get $p) (local.get $stop))))
        (br $l16)))
    ;; tails: the last chunk % 16 codes, the last chunk % 16 range values
    (block $q1
      (loop $lq1
        (br_if $q1 (i32.ge_u (local.get $p) (local.get $end)))
        (local.set $e (f64.div (f64.promote_f32 (f32.load (local.get $p))) (local.get $s64)))
        (local.set $e (f64.min (f64.max (f64.nearest (local.get $e)) (local.get $lo)) (local.get $hi)))
        (i32.store8 (local.get $o) (i32.add (i32.trunc_sat_f64_s (local.get $e)) (local.get $z)))
        (local.set $p (i32.add (local.get $p) (i32.const 4)))
        (local.set $o (i32.add (local.get $o) (i32.const 1)))
        (br $lq1)))
    (local.set $mn0 (f32x4.pmin (local.get $mn0) (local.get $mn1)))
    (local.set $mx0 (f32x4.pmax (local.get $mx0) (local.get $mx1)))
    (local.set $smin (f32x4.extract_lane 0 (call $hmin (local.get $mn0))))
    (local.set $smax (f32x4.extract_lane 0 (call $hmax (local.get $mx0))))
    (block $r1
      (loop $lr1
        (br_if $r1 (i32.ge_u (local.get $r) (local.get $rend)))
        (local.set $v (f32.load (local.get $r)))
        (local.set $badf (f32.add (local.get $badf) (f32.sub (local.get $v) (local.get $v))))
        (if (f32.lt (local.get $v) (local.get $smin)) (then (local.set $smin (local.get $v))))
        (if (f32.gt (local.get $v) (local.get $smax)) (then (local.set $smax (local.get $v))))
        (local.set $r (i32.add (local.get $r) (i32.const 4)))
        (br $lr1)))
    (f32.store (local.get $pmin) (local.get $smin))
    (f32.store (local.get $pmax) (local.get $smax))
    (i32.or
      (i32.or (f32.eq (local.get $smin) (f32.const -inf)) (f32.eq (local.get $smax) (f32.const inf)))
      (i32.or (v128.any_true (local.get $bad)) (f32.ne (local.get $badf) (local.get $badf)))))

  ;; ---------------------------------------------------------------------------------------------------------
  ;; dequant_int(codes, nchunks, chunk, scales, zps, unsigned, out, qmin, qmax) -> outOfRange
  ;; out = f32(code - z) * s per element. Returns 1 when a code lies outside [qmin, qmax] (the reference then
  ;; reports it; clipped ranges such as int8 [-127, 127] make -128 such a code), else 0.
  (func (export "dequant_int") (param $q i32) (param $nchunks i32) (param $chunk i32) (param $scales i32)
    (param $zps i32) (param $uns i32) (param $out i32) (param $qmin i32) (param $qmax i32) (result i32)
    (local $cmin v128) (local $cmax v128) (local $bad i32)
    (local $c i32) (local $p i32) (local $o i32) (local $end i32) (local $vend i32) (local $z i32) (local $code i32)
    (local $s f32) (local $vs v128) (local $z16 v128) (local $v v128) (local $a v128) (local $b v128)
    (local.set $p (local.get $q))
    (local.set $o (local.get $out))
    ;; Code bounds seen so far, in the byte order of the codes (unsigned bytes compared after flipping the sign bit).
    (local.set $cmin (v128.const i8x16 127 127 127 127 127 127 127 127 127 127 127 127 127 127 127 127))
    (local.set $cmax (v128.const i8x16 -128 -128 -128 -128 -128 -128 -128 -128 -128 -128 -128 -128 -128 -128 -128 -128))
    (block $done
      (loop $chunks
        (br_if $done (i32.ge_u (local.get $c) (local.get $nchunks)))
        (local.set $s (f32.load (i32.add (local.get $scales) (i32.shl (local.get $c) (i32.const 2)))))
        (local.set $z (i32.load (i32.add (local.get $zps) (i32.shl (local.get $c) (i32.const 2)))))
        (local.set $vs (f32x4.splat (local.get $s)))
        (local.set $z16 (i16x8.splat (local.get $z)))
        (local.set $end (i32.add (local.get $p) (local.get $chunk)))
        (local.set $vend (i32.add (local.get $p) (i32.and (local.get $chunk) (i32.const -16))))
        (block $b16
          (loop $l16
            (br_if $b16 (i32.ge_u (local.get $p) (local.get $vend)))
            (local.set $v (v128.load (local.get $p)))
            (local.set $a (v128.xor (local.get $v) (i8x16.splat (i32.shl (local.get $uns) (i32.const 7)))))
            (local.set $cmin (i8x16.min_s (local.get $cmin) (local.get $a)))
            (local.set $cmax (i8x16.max_s (local.get $cmax) (local.get $a)))
            (if (local.get $uns)
              (then
                (local.set $a (i16x8.extend_low_i8x16_u (local.get $v)))
                (local.set $b (i16x8.extend_high_i8x16_u (local.get $v))))
              (else
                (local.set $a (i16x8.extend_low_i8x16_s (local.get $v)))
                (local.set $b (i16x8.extend_high_i8x16_s (local.get $v)))))
            (local.set $a (i16x8.sub (local.get $a) (local.get $z16)))
            (local.set $b (i16x8.sub (local.get $b) (local.get $z16)))
            (v128.store (local.get $o)
              (f32x4.mul (f32x4.convert_i32x4_s (i32x4.extend_low_i16x8_s (local.get $a))) (local.get $vs)))
            (v128.store offset=16 (local.get $o)
              (f32x4.mul (f32x4.convert_i32x4_s (i32x4.extend_high_i16x8_s (local.get $a))) (local.get $vs)))
            (v128.store offset=32 (local.get $o)
              (f32x4.mul (f32x4.convert_i32x4_s (i32x4.extend_low_i16x8_s (local.get $b))) (local.get $vs)))
            (v128.store offset=48 (local.get $o)
              (f32x4.mul (f32x4.convert_i32x4_s (i32x4.extend_high_i16x8_s (local.get $b))) (local.get $vs)))
            (local.set $p (i32.add (local.get $p) (i32.const 16)))
            (local.set $o (i32.add (local.get $o) (i32.const 64)))
            (br $l16)))
        (block $b1
          (loop $l1
            (br_if $b1 (i32.ge_u (local.get $p) (local.get $end)))
            (if (local.get $uns)
              (then (local.set $code (i32.load8_u (local.get $p))))
              (else (local.set $code (i32.load8_s (local.get $p)))))
            (local.set $bad
              (i32.or (local.get $bad)
                (i32.or (i32.lt_s (local.get $code) (local.get $qmin)) (i32.gt_s (local.get $code) (local.get $qmax)))))
            (f32.store (local.get $o)
              (f32.mul (f32.convert_i32_s (i32.sub (local.get $code) (local.get $z))) (local.get $s)))
            (local.set $p (i32.add (local.get $p) (i32.const 1)))
            (local.set $o (i32.add (local.get $o) (i32.const 4)))
            (br $l1)))
        (local.set $c (i32.add (local.get $c) (i32.const 1)))
        (br $chunks)))
    (local.set $a (i8x16.splat (i32.sub (local.get $qmin) (i32.shl (local.get $uns) (i32.const 7)))))
    (local.set $b (i8x16.splat (i32.sub (local.get $qmax) (i32.shl (local.get $uns) (i32.const 7)))))
    (i32.or (local.get $bad)
      (v128.any_true
        (v128.or (i8x16.lt_s (local.get $cmin) (local.get $a)) (i8x16.gt_s (local.get $cmax) (local.get $b))))))

  ;; ---------------------------------------------------------------------------------------------------------
  ;; pack4(src, n, dst): n code bytes -> ceil(n / 2) bytes, element 2j in the low nibble of byte j.
  (func $pack4 (export "pack4") (param $src i32) (param $n i32) (param $dst i32)
    (local $i i32) (local $vn i32) (local $a v128) (local $b v128) (local $lo i32)
    (local.set $vn (i32.and (local.get $n) (i32.const -32)))
    (block $b32
      (loop $l32
        (br_if $b32 (i32.ge_u (local.get $i) (local.get $vn)))
        (local.set $a (v128.and (v128.load (i32.add (local.get $src) (local.get $i))) (v128.const i8x16 15 15 15 15 15 15 15 15 15 15 15 15 15 15 15 15)))
        (local.set $b (v128.and (v128.load offset=16 (i32.add (local.get $src) (local.get $i))) (v128.const i8x16 15 15 15 15 15 15 15 15 15 15 15 15 15 15 15 15)))
        (local.set $a (v128.or (local.get $a) (i16x8.shr_u (local.get $a) (i32.const 4))))
        (local.set $b (v128.or (local.get $b) (i16x8.shr_u (local.get $b) (i32.const 4))))
        (v128.store (i32.add (local.get $dst) (i32.shr_u (local.get $i) (i32.const 1)))
          (i8x16.shuffle 0 2 4 6 8 10 12 14 16 18 20 22 24 26 28 30 (local.get $a) (local.get $b)))
        (local.set $i (i32.add (local.get $i) (i32.const 32)))
        (br $l32)))
    (block $b1
      (loop $l1
        (br_if $b1 (i32.ge_u (local.get $i) (local.get $n)))
        (local.set $lo (i32.and (i32.load8_u (i32.add (local.get $src) (local.get $i))) (i32.const 15)))
        (if (i32.lt_u (i32.add (local.get $i) (i32.const 1)) (local.get $n))
          (then
            (local.set $lo
              (i32.or (local.get $lo)
                (i32.shl (i32.and (i32.load8_u offset=1 (i32.add (local.get $src) (local.get $i))) (i32.const 15)) (i32.const 4))))))
        (i32.store8 (i32.add (local.get $dst) (i32.shr_u (local.get $i) (i32.const 1))) (local.get $lo))
        (local.set $i (i32.add (local.get $i) (i32.const 2)))
        (br $l1))))

  ;; ---------------------------------------------------------------------------------------------------------
  ;; unpack4(src, n, signed, dst): the inverse of pack4; signed nibbles are sign-extended to bytes.
  (func (export "unpack4") (param $src i32) (param $n i32) (param $signed i32) (param $dst i32)
    (local $i i32) (local $vn i32) (local $p v128) (local $lo v128) (local $hi v128) (local $v i32)
    (local.set $vn (i32.and (local.get $n) (i32.const -32)))
    (block $b32
      (loop $l32
        (br_if $b32 (i32.ge_u (local.get $i) (local.get $vn)))
        (local.set $p (v128.load (i32.add (local.get $src) (i32.shr_u (local.get $i) (i32.const 1)))))
        (if (local.get $signed)
          (then
            (local.set $lo (i8x16.shr_s (i8x16.shl (local.get $p) (i32.const 4)) (i32.const 4)))
            (local.set $hi (i8x16.shr_s (local.get $p) (i32.const 4))))
          (else
            (local.set $lo (v128.and (local.get $p) (v128.const i8x16 15 15 15 15 15 15 15 15 15 15 15 15 15 15 15 15)))
            (local.set $hi (i8x16.shr_u (local.get $p) (i32.const 4)))))
        (v128.store (i32.add (local.get $dst) (local.get $i))
          (i8x16.shuffle 0 16 1 17 2 18 3 19 4 20 5 21 6 22 7 23 (local.get $lo) (local.get $hi)))
        (v128.store offset=16 (i32.add (local.get $dst) (local.get $i))
          (i8x16.shuffle 8 24 9 25 10 26 11 27 12 28 13 29 14 30 15 31 (local.get $lo) (local.get $hi)))
        (local.set $i (i32.add (local.get $i) (i32.const 32)))
        (br $l32)))
    (block $b1
      (loop $l1
        (br_if $b1 (i32.ge_u (local.get $i) (local.get $n)))
        (local.set $v
          (i32.and
            (i32.shr_u (i32.load8_u (i32.add (local.get $src) (i32.shr_u (local.get $i) (i32.const 1))))
              (i32.shl (i32.and (local.get $i) (i32.const 1)) (i32.const 2)))
            (i32.const 15)))
        (if (local.get $signed)
          (then (local.set $v (i32.shr_s (i32.shl (local.get $v) (i32.const 28)) (i32.const 28)))))
        (i32.store8 (i32.add (local.get $dst) (local.get $i)) (local.get $v))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $l1))))

  ;; ---------------------------------------------------------------------------------------------------------
  ;; quant_e4m3(x, nchunks, chunk, scales, out) -> nonFinite
  ;; code = float8_e4m3fn(fl32(x / s)), round to nearest even, saturating to +-448 (code 0x7E / 0xFE).
  (func (export "quant_e4m3") (param $x i32) (param $nchunks i32) (param $chunk i32) (param $scales i32)
    (param $out i32) (result i32)
    (local $c i32) (local $p i32) (local $o i32) (local $end i32) (local $vend i32)
    (local $s f32) (local $vs v128) (local $bad v128) (local $badf f32) (local $xv f32)
    (local $y v128) (local $a v128) (local $n v128) (local $sm v128)
    (local $ys f32) (local $as i32) (local $ns i32)
    (local.set $p (local.get $x))
    (local.set $o (local.get $out))
    (block $done
      (loop $chunks
        (br_if $done (i32.ge_u (local.get $c) (local.get $nchunks)))
        (local.set $s (f32.load (i32.add (local.get $scales) (i32.shl (local.get $c) (i32.const 2)))))
        (local.set $vs (f32x4.splat (local.get $s)))
        (local.set $end (i32.add (local.get $p) (i32.shl (local.get $chunk) (i32.const 2))))
        (local.set $vend (i32.add (local.get $p) (i32.shl (i32.and (local.get $chunk) (i32.const -4)) (i32.const 2))))
        (block $b4
          (loop $l4
            (br_if $b4 (i32.ge_u (local.get $p) (local.get $vend)))
            (local.set $y (v128.load (local.get $p)))
            (local.set $bad (f32x4.add (local.get $bad) (f32x4.sub (local.get $y) (local.get $y))))
            (local.set $y (f32x4.div (local.get $y) (local.get $vs)))
            (local.set $a (v128.and (local.get $y) (v128.const i32x4 0x7fffffff 0x7fffffff 0x7fffffff 0x7fffffff)))
            ;; normal range: round the float32 bits to 3 mantissa bits (ties to even) and rebias 127 -> 7
            (local.set $n
              (i32x4.min_s
                (i32x4.sub
                  (i32x4.shr_u
                    (i32x4.add
                      (i32x4.add (local.get $a) (v128.const i32x4 0x7ffff 0x7ffff 0x7ffff 0x7ffff))
                      (v128.and (i32x4.shr_u (local.get $a) (i32.const 20)) (v128.const i32x4 1 1 1 1)))
                    (i32.const 20))
                  (v128.const i32x4 960 960 960 960))
                (v128.const i32x4 126 126 126 126)))
            ;; subnormal range (below 2^-6): multiples of 2^-9
            (local.set $sm
              (i32x4.trunc_sat_f32x4_s (f32x4.nearest (f32x4.mul (local.get $a) (v128.const f32x4 512 512 512 512)))))
            (local.set $n
              (v128.or
                (v128.bitselect (local.get $sm) (local.get $n)
                  (i32x4.lt_s (local.get $a) (v128.const i32x4 0x3c800000 0x3c800000 0x3c800000 0x3c800000)))
                (v128.and (i32x4.shr_u (local.get $y) (i32.const 24)) (v128.const i32x4 0x80 0x80 0x80 0x80))))
            (local.set $n (i16x8.narrow_i32x4_u (local.get $n) (local.get $n)))
            (v128.store32_lane 0 (local.get $o) (i8x16.narrow_i16x8_u (local.get $n) (local.get $n)))
            (local.set $p (i32.add (local.get $p) (i32.const 16)))
            (local.set $o (i32.add (local.get $o) (i32.const 4)))
            (br $l4)))
        (block $b1
          (loop $l1
            (br_if $b1 (i32.ge_u (local.get $p) (local.get $end)))
            (local.set $xv (f32.load (local.get $p)))
            (local.set $badf (f32.add (local.get $badf) (f32.sub (local.get $xv) (local.get $xv))))
            (local.set $ys (f32.div (local.get $xv) (local.get $s)))
            (local.set $as (i32.and (i32.reinterpret_f32 (local.get $ys)) (i32.const 0x7fffffff)))
            (if (i32.lt_s (local.get $as) (i32.const 0x3c800000))
              (then
                (local.set $ns
                  (i32.trunc_sat_f32_s (f32.nearest (f32.mul (f32.reinterpret_i32 (local.get $as)) (f32.const 512))))))
              (else
                (local.set $ns
                  (i32.sub
                    (i32.shr_u
                      (i32.add (i32.add (local.get $as) (i32.const 0x7ffff))
                        (i32.and (i32.shr_u (local.get $as) (i32.const 20)) (i32.const 1)))
                      (i32.const 20))
                    (i32.const 960)))
                (if (i32.gt_s (local.get $ns) (i32.const 126)) (then (local.set $ns (i32.const 126))))))
            (i32.store8 (local.get $o)
              (i32.or (local.get $ns)
                (i32.and (i32.shr_u (i32.reinterpret_f32 (local.get $ys)) (i32.const 24)) (i32.const 0x80))))
            (local.set $p (i32.add (local.get $p) (i32.const 4)))
            (local.set $o (i32.add (local.get $o) (i32.const 1)))
            (br $l1)))
        (local.set $c (i32.add (local.get $c) (i32.const 1)))
        (br $chunks)))
    (i32.or
      (v128.any_true (f32x4.ne (local.get $bad) (local.get $bad)))
      (f32.ne (local.get $badf) (local.get $badf))))

  ;; ---------------------------------------------------------------------------------------------------------
  ;; dequant_e4m3(codes, nchunks, chunk, scales, out): out = decode(code) * s; the NaN codes 0x7F / 0xFF give NaN.
  ;; decode: the code's low 7 bits moved to float32 bits 20..26 give 2^-120 times the value (subnormals included),
  ;; so one multiply by 2^120 finishes it exactly.
  (func (export "dequant_e4m3") (param $q i32) (param $nchunks i32) (param $chunk i32) (param $scales i32)
    (param $out i32)
    (local $c i32) (local $p i32) (local $o i32) (local $end i32) (local $vend i32) (local $k i32) (local $cs i32)
    (local $s f32) (local $vs v128) (local $h v128) (local $i v128) (local $bits v128) (local $v v128) (local $sv f32)
    (local.set $p (local.get $q))
    (local.set $o (local.get $out))
    (block $done
      (loop $chunks
        (br_if $done (i32.ge_u (local.get $c) (local.get $nchunks)))
        (local.set $s (f32.load (i32.add (local.get $scales) (i32.shl (local.get $c) (i32.const 2)))))
        (local.set $vs (f32x4.splat (local.get $s)))
        (local.set $end (i32.add (local.get $p) (local.get $chunk)))
        (local.set $vend (i32.add (local.get $p) (i32.and (local.get $chunk) (i32.const -4))))
        (block $b4
          (loop $l4
            (br_if $b4 (i32.ge_u (local.get $p) (local.get $vend)))
            (local.set $i
              (i32x4.extend_low_i16x8_s (i16x8.extend_low_i8x16_s (v128.load32_zero (local.get $p)))))
            (local.set $bits
              (v128.and (i32x4.shl (local.get $i) (i32.const 20))
                (v128.const i32x4 0x87f00000 0x87f00000 0x87f00000 0x87f00000)))
            (local.set $v (f32x4.mul (local.get $bits) (v128.const f32x4 0x1p+120 0x1p+120 0x1p+120 0x1p+120)))
            (local.set $v
              (v128.bitselect (v128.const i32x4 0x7fc00000 0x7fc00000 0x7fc00000 0x7fc00000) (local.get $v)
                (i32x4.eq (v128.and (local.get $bits) (v128.const i32x4 0x7ff00000 0x7ff00000 0x7ff00000 0x7ff00000))
                  (v128.const i32x4 0x07f00000 0x07f00000 0x07f00000 0x07f00000))))
            (v128.store (local.get $o) (f32x4.mul (local.get $v) (local.get $vs)))
            (local.set $p (i32.add (local.get $p) (i32.const 4)))
            (local.set $o (i32.add (local.get $o) (i32.const 16)))
            (br $l4)))
        (block $b1
          (loop $l1
            (br_if $b1 (i32.ge_u (local.get $p) (local.get $end)))
            (local.set $cs (i32.and (i32.shl (i32.load8_s (local.get $p)) (i32.const 20)) (i32.const 0x87f00000)))
            (local.set $sv (f32.mul (f32.reinterpret_i32 (local.get $cs)) (f32.const 0x1p+120)))
            (if (i32.eq (i32.and (local.get $cs) (i32.const 0x7ff00000)) (i32.const 0x07f00000))
              (then (local.set $sv (f32.const nan))))
            (f32.store (local.get $o) (f32.mul (local.get $sv) (local.get $s)))
            (local.set $p (i32.add (local.get $p) (i32.const 1)))
            (local.set $o (i32.add (local.get $o) (i32.const 4)))
            (br $l1)))
        (local.set $c (i32.add (local.get $c) (i32.const 1)))
        (br $chunks))))
  ;; ---------------------------------------------------------------------------------------------------------
  ;; gemm_w4(w, scales, zpe, x, y, M, N, kp, B, n0, n1)
  ;; y[m, n] = sum_b scales[n, b] * sum_{k in b} (u[n, k] - zpe[n, b]) x[m, k] for rows n in [n0, n1).
  ;; w: unsigned nibbles u (signed int4 is stored xor 8, with zpe = zp + 8: int32), rows of kp / 2 bytes, LSB-first;
  ;; x: float32 [M, kp], each group of 32 stored as its 16 even then its 16 odd elements; kp % B == 0, B % 32 == 0.
  (func (export "gemm_w4") (param $w i32) (param $scales i32) (param $zpe i32) (param $x i32)
    (param $y i32) (param $M i32) (param $N i32) (param $kp i32) (param $B i32) (param $n0 i32) (param $n1 i32)
    (local $n i32) (local $m i32) (local $b i32) (local $g i32) (local $nb i32) (local $gpb i32) (local $rowBytes i32)
    (local $rowx i32) (local $wp i32) (local $xp0 i32) (local $xp1 i32) (local $xp2 i32) (local $xp3 i32) (local $sb f32)
    (local $wv v128) (local $lo v128) (local $hi v128) (local $t16 v128) (local $sv v128)
    (local $f0 v128) (local $f1 v128) (local $f2 v128) (local $f3 v128)
    (local $f4 v128) (local $f5 v128) (local $f6 v128) (local $f7 v128) (local $z16 v128)
    (local $a0 v128) (local $a1 v128) (local $a2 v128) (local $a3 v128)
    (local $t0 v128) (local $t1 v128) (local $t2 v128) (local $t3 v128)
    (if (i32.or (i32.eqz (local.get $kp)) (i32.eqz (local.get $M))) (then (return)))
    (local.set $nb (i32.div_u (local.get $kp) (local.get $B)))
    (local.set $gpb (i32.div_u (local.get $B) (i32.const 32)))
    (local.set $rowBytes (i32.shr_u (local.get $kp) (i32.const 1)))
    (local.set $rowx (i32.shl (local.get $kp) (i32.const 2)))
    (local.set $n (local.get $n0))
    (block $ndone
      (loop $nloop
      (br_if $ndone (i32.ge_u (local.get $n) (local.get $n1)))
      (local.set $m (i32.const 0))
      ;; tile of 4 activation row(s)
      (block $mdone4
        (loop $mloop4
        (br_if $mdone4 (i32.gt_u (i32.add (local.get $m) (i32.const 4)) (local.get $M)))
        (local.set $wp (i32.add (local.get $w) (i32.mul (local.get $n) (local.get $rowBytes))))
        (local.set $xp0 (i32.add (local.get $x) (i32.mul (i32.add (local.get $m) (i32.const 0)) (local.get $rowx))))
        (local.set $xp1 (i32.add (local.get $x) (i32.mul (i32.add (local.get $m) (i32.const 1)) (local.get $rowx))))
        (local.set $xp2 (i32.add (local.get $x) (i32.mul (i32.add (local.get $m) (i32.const 2)) (local.get $rowx))))
        (local.set $xp3 (i32.add (local.get $x) (i32.mul (i32.add (local.get $m) (i32.const 3)) (local.get $rowx))))
        (local.set $t0 (v128.const i32x4 0 0 0 0))
        (local.set $t1 (v128.const i32x4 0 0 0 0))
        (local.set $t2 (v128.const i32x4 0 0 0 0))
        (local.set $t3 (v128.const i32x4 0 0 0 0))
        (local.set $b (i32.const 0))
        (loop $blocks4
            (local.set $a0 (v128.const i32x4 0 0 0 0))
            (local.set $a1 (v128.const i32x4 0 0 0 0))
            (local.set $a2 (v128.const i32x4 0 0 0 0))
            (local.set $a3 (v128.const i32x4 0 0 0 0))
            (local.set $z16 (i16x8.splat (i32.load (i32.add (local.get $zpe) (i32.shl (i32.add (i32.mul (local.get $n) (local.get $nb)) (local.get $b)) (i32.const 2))))))
            (local.set $g (i32.const 0))
            (loop $groups4
                (local.set $wv (v128.load (local.get $wp)))
                (local.set $lo (v128.and (local.get $wv) (v128.const i8x16 15 15 15 15 15 15 15 15 15 15 15 15 15 15 15 15)))
                (local.set $hi (v128.and (i16x8.shr_u (local.get $wv) (i32.const 4)) (v128.const i8x16 15 15 15 15 15 15 15 15 15 15 15 15 15 15 15 15)))
                (local.set $t16 (i16x8.sub (i16x8.extend_low_i8x16_u (local.get $lo)) (local.get $z16)))
                (local.set $f0 (f32x4.convert_i32x4_s (i32x4.extend_low_i16x8_s (local.get $t16))))
                (local.set $f1 (f32x4.convert_i32x4_s (i32x4.extend_high_i16x8_s (local.get $t16))))
                (local.set $t16 (i16x8.sub (i16x8.extend_high_i8x16_u (local.get $lo)) (local.get $z16)))
                (local.set $f2 (f32x4.convert_i32x4_s (i32x4.extend_low_i16x8_s (local.get $t16))))
                (local.set $f3 (f32x4.convert_i32x4_s (i32x4.extend_high_i16x8_s (local.get $t16))))
                (local.set $t16 (i16x8.sub (i16x8.extend_low_i8x16_u (local.get $hi)) (local.get $z16)))
                (local.set $f4 (f32x4.convert_i32x4_s (i32x4.extend_low_i16x8_s (local.get $t16))))
                (local.set $f5 (f32x4.convert_i32x4_s (i32x4.extend_high_i16x8_s (local.get $t16))))
                (local.set $t16 (i16x8.sub (i16x8.extend_high_i8x16_u (local.get $hi)) (local.get $z16)))
                (local.set $f6 (f32x4.convert_i32x4_s (i32x4.extend_low_i16x8_s (local.get $t16))))
                (local.set $f7 (f32x4.convert_i32x4_s (i32x4.extend_high_i16x8_s (local.get $t16))))
                (local.set $a0 (f32x4.add (local.get $a0)
                  (f32x4.add (f32x4.add (f32x4.add (f32x4.mul (local.get $f0) (v128.load offset=0 (local.get $xp0))) (f32x4.mul (local.get $f1) (v128.load offset=16 (local.get $xp0)))) (f32x4.add (f32x4.mul (local.get $f2) (v128.load offset=32 (local.get $xp0))) (f32x4.mul (local.get $f3) (v128.load offset=48 (local.get $xp0))))) (f32x4.add (f32x4.add (f32x4.mul (local.get $f4) (v128.load offset=64 (local.get $xp0))) (f32x4.mul (local.get $f5) (v128.load offset=80 (local.get $xp0)))) (f32x4.add (f32x4.mul (local.get $f6) (v128.load offset=96 (local.get $xp0))) (f32x4.mul (local.get $f7) (v128.load offset=112 (local.get $xp0))))))))
                (local.set $a1 (f32x4.add (local.get $a1)
                  (f32x4.add (f32x4.add (f32x4.add (f32x4.mul (local.get $f0) (v128.load offset=0 (local.get $xp1))) (f32x4.mul (local.get $f1) (v128.load offset=16 (local.get $xp1)))) (f32x4.add (f32x4.mul (local.get $f2) (v128.load offset=32 (local.get $xp1))) (f32x4.mul (local.get $f3) (v128.load offset=48 (local.get $xp1))))) (f32x4.add (f32x4.add (f32x4.mul (local.get $f4) (v128.load offset=64 (local.get $xp1))) (f32x4.mul (local.get $f5) (v128.load offset=80 (local.get $xp1)))) (f32x4.add (f32x4.mul (local.get $f6) (v128.load offset=96 (local.get $xp1))) (f32x4.mul (local.get $f7) (v128.load offset=112 (local.get $xp1))))))))
                (local.set $a2 (f32x4.add (local.get $a2)
                  (f32x4.add (f32x4.add (f32x4.add (f32x4.mul (local.get $f0) (v128.load offset=0 (local.get $xp2))) (f32x4.mul (local.get $f1) (v128.load offset=16 (local.get $xp2)))) (f32x4.add (f32x4.mul (local.get $f2) (v128.load offset=32 (local.get $xp2))) (f32x4.mul (local.get $f3) (v128.load offset=48 (local.get $xp2))))) (f32x4.add (f32x4.add (f32x4.mul (local.get $f4) (v128.load offset=64 (local.get $xp2))) (f32x4.mul (local.get $f5) (v128.load offset=80 (local.get $xp2)))) (f32x4.add (f32x4.mul (local.get $f6) (v128.load offset=96 (local.get $xp2))) (f32x4.mul (local.get $f7) (v128.load offset=112 (local.get $xp2))))))))
                (local.set $a3 (f32x4.add (local.get $a3)
                  (f32x4.add (f32x4.add (f32x4.add (f32x4.mul (local.get $f0) (v128.load offset=0 (local.get $xp3))) (f32x4.mul (local.get $f1) (v128.load offset=16 (local.get $xp3)))) (f32x4.add (f32x4.mul (local.get $f2) (v128.load offset=32 (local.get $xp3))) (f32x4.mul (local.get $f3) (v128.load offset=48 (local.get $xp3))))) (f32x4.add (f32x4.add (f32x4.mul (local.get $f4) (v128.load offset=64 (local.get $xp3))) (f32x4.mul (local.get $f5) (v128.load offset=80 (local.get $xp3)))) (f32x4.add (f32x4.mul (local.get $f6) (v128.load offset=96 (local.get $xp3))) (f32x4.mul (local.get $f7) (v128.load offset=112 (local.get $xp3))))))))
                (local.set $wp (i32.add (local.get $wp) (i32.const 16)))
                (local.set $xp0 (i32.add (local.get $xp0) (i32.const 128)))
                (local.set $xp1 (i32.add (local.get $xp1) (i32.const 128)))
                (local.set $xp2 (i32.add (local.get $xp2) (i32.const 128)))
                (local.set $xp3 (i32.add (local.get $xp3) (i32.const 128)))
                (local.set $g (i32.add (local.get $g) (i32.const 1)))
                (br_if $groups4 (i32.lt_u (local.get $g) (local.get $gpb))))
            (local.set $sb (f32.load (i32.add (local.get $scales) (i32.shl (i32.add (i32.mul (local.get $n) (local.get $nb)) (local.get $b)) (i32.const 2)))))
            (local.set $sv (f32x4.splat (local.get $sb)))
            (local.set $t0 (f32x4.add (local.get $t0) (f32x4.mul (local.get $sv) (local.get $a0))))
            (local.set $t1 (f32x4.add (local.get $t1) (f32x4.mul (local.get $sv) (local.get $a1))))
            (local.set $t2 (f32x4.add (local.get $t2) (f32x4.mul (local.get $sv) (local.get $a2))))
            (local.set $t3 (f32x4.add (local.get $t3) (f32x4.mul (local.get $sv) (local.get $a3))))

            (local.set $b (i32.add (local.get $b) (i32.const 1)))
            (br_if $blocks4 (i32.lt_u (local.get $b) (local.get $nb))))
        (f32.store (i32.add (local.get $y) (i32.shl (i32.add (i32.mul (i32.add (local.get $m) (i32.const 0)) (local.get $N)) (local.get $n)) (i32.const 2)))
          (f32.add (f32.add (f32x4.extract_lane 0 (local.get $t0)) (f32x4.extract_lane 1 (local.get $t0)))
            (f32.add (f32x4.extract_lane 2 (local.get $t0)) (f32x4.extract_lane 3 (local.get $t0)))))
        (f32.store (i32.add (local.get $y) (i32.shl (i32.add (i32.mul (i32.add (local.get $m) (i32.const 1)) (local.get $N)) (local.get $n)) (i32.const 2)))
          (f32.add (f32.add (f32x4.extract_lane 0 (local.get $t1)) (f32x4.extract_lane 1 (local.get $t1)))
            (f32.add (f32x4.extract_lane 2 (local.get $t1)) (f32x4.extract_lane 3 (local.get $t1)))))
        (f32.store (i32.add (local.get $y) (i32.shl (i32.add (i32.mul (i32.add (local.get $m) (i32.const 2)) (local.get $N)) (local.get $n)) (i32.const 2)))
          (f32.add (f32.add (f32x4.extract_lane 0 (local.get $t2)) (f32x4.extract_lane 1 (local.get $t2)))
            (f32.add (f32x4.extract_lane 2 (local.get $t2)) (f32x4.extract_lane 3 (local.get $t2)))))
        (f32.store (i32.add (local.get $y) (i32.shl (i32.add (i32.mul (i32.add (local.get $m) (i32.const 3)) (local.get $N)) (local.get $n)) (i32.const 2)))
          (f32.add (f32.add (f32x4.extract_lane 0 (local.get $t3)) (f32x4.extract_lane 1 (local.get $t3)))
            (f32.add (f32x4.extract_lane 2 (local.get $t3)) (f32x4.extract_lane 3 (local.get $t3)))))
        (local.set $m (i32.add (local.get $m) (i32.const 4)))
        (br $mloop4)))
      ;; tile of 1 activation row(s)
      (block $mdone1
        (loop $mloop1
        (br_if $mdone1 (i32.gt_u (i32.add (local.get $m) (i32.const 1)) (local.get $M)))
        (local.set $wp (i32.add (local.get $w) (i32.mul (local.get $n) (local.get $rowBytes))))
        (local.set $xp0 (i32.add (local.get $x) (i32.mul (i32.add (local.get $m) (i32.const 0)) (local.get $rowx))))
        (local.set $t0 (v128.const i32x4 0 0 0 0))
        (local.set $b (i32.const 0))
        (loop $blocks1
            (local.set $a0 (v128.const i32x4 0 0 0 0))
            (local.set $z16 (i16x8.splat (i32.load (i32.add (local.get $zpe) (i32.shl (i32.add (i32.mul (local.get $n) (local.get $nb)) (local.get $b)) (i32.const 2))))))
            (local.set $g (i32.const 0))
            (loop $groups1
                (local.set $wv (v128.load (local.get $wp)))
                (local.set $lo (v128.and (local.get $wv) (v128.const i8x16 15 15 15 15 15 15 15 15 15 15 15 15 15 15 15 15)))
                (local.set $hi (v128.and (i16x8.shr_u (local.get $wv) (i32.const 4)) (v128.const i8x16 15 15 15 15 15 15 15 15 15 15 15 15 15 15 15 15)))
                (local.set $t16 (i16x8.sub (i16x8.extend_low_i8x16_u (local.get $lo)) (local.get $z16)))
                (local.set $f0 (f32x4.convert_i32x4_s (i32x4.extend_low_i16x8_s (local.get $t16))))
                (local.set $f1 (f32x4.convert_i32x4_s (i32x4.extend_high_i16x8_s (local.get $t16))))
                (local.set $t16 (i16x8.sub (i16x8.extend_high_i8x16_u (local.get $lo)) (local.get $z16)))
                (local.set $f2 (f32x4.convert_i32x4_s (i32x4.extend_low_i16x8_s (local.get $t16))))
                (local.set $f3 (f32x4.convert_i32x4_s (i32x4.extend_high_i16x8_s (local.get $t16))))
                (local.set $t16 (i16x8.sub (i16x8.extend_low_i8x16_u (local.get $hi)) (local.get $z16)))
                (local.set $f4 (f32x4.convert_i32x4_s (i32x4.extend_low_i16x8_s (local.get $t16))))
                (local.set $f5 (f32x4.convert_i32x4_s (i32x4.extend_high_i16x8_s (local.get $t16))))
                (local.set $t16 (i16x8.sub (i16x8.extend_high_i8x16_u (local.get $hi)) (local.get $z16)))
                (local.set $f6 (f32x4.convert_i32x4_s (i32x4.extend_low_i16x8_s (local.get $t16))))
                (local.set $f7 (f32x4.convert_i32x4_s (i32x4.extend_high_i16x8_s (local.get $t16))))
                (local.set $a0 (f32x4.add (local.get $a0)
                  (f32x4.add (f32x4.add (f32x4.add (f32x4.mul (local.get $f0) (v128.load offset=0 (local.get $xp0))) (f32x4.mul (local.get $f1) (v128.load offset=16 (local.get $xp0)))) (f32x4.add (f32x4.mul (local.get $f2) (v128.load offset=32 (local.get $xp0))) (f32x4.mul (local.get $f3) (v128.load offset=48 (local.get $xp0))))) (f32x4.add (f32x4.add (f32x4.mul (local.get $f4) (v128.load offset=64 (local.get $xp0))) (f32x4.mul (local.get $f5) (v128.load offset=80 (local.get $xp0)))) (f32x4.add (f32x4.mul (local.get $f6) (v128.load offset=96 (local.get $xp0))) (f32x4.mul (local.get $f7) (v128.load offset=112 (local.get $xp0))))))))
                (local.set $wp (i32.add (local.get $wp) (i32.const 16)))
                (local.set $xp0 (i32.add (local.get $xp0) (i32.const 128)))
                (local.set $g (i32.add (local.get $g) (i32.const 1)))
                (br_if $groups1 (i32.lt_u (local.get $g) (local.get $gpb))))
            (local.set $sb (f32.load (i32.add (local.get $scales) (i32.shl (i32.add (i32.mul (local.get $n) (local.get $nb)) (local.get $b)) (i32.const 2)))))
            (local.set $sv (f32x4.splat (local.get $sb)))
            (local.set $t0 (f32x4.add (local.get $t0) (f32x4.mul (local.get $sv) (local.get $a0))))

            (local.set $b (i32.add (local.get $b) (i32.const 1)))
            (br_if $blocks1 (i32.lt_u (local.get $b) (local.get $nb))))
        (f32.store (i32.add (local.get $y) (i32.shl (i32.add (i32.mul (i32.add (local.get $m) (i32.const 0)) (local.get $N)) (local.get $n)) (i32.const 2)))
          (f32.add (f32.add (f32x4.extract_lane 0 (local.get $t0)) (f32x4.extract_lane 1 (local.get $t0)))
            (f32.add (f32x4.extract_lane 2 (local.get $t0)) (f32x4.extract_lane 3 (local.get $t0)))))
        (local.set $m (i32.add (local.get $m) (i32.const 1)))
        (br $mloop1)))
      (local.set $n (i32.add (local.get $n) (i32.const 1)))
      (br $nloop))))

  ;; ---------------------------------------------------------------------------------------------------------
  ;; gemm_w4a16(w, scales, zpe, a, as, y, M, N, kp, B, sym, n0, n1)
  ;; y[m, n] = sum_b (f32(sum_{k in b} (u[n, k] - zpe[n, b]) a[m, k]) * scales[n, b]) * as[m, b] for rows n in
  ;; [n0, n1), the inner sums exact in int32 (|u - zpe| <= 15 and |a| <= 32767, so B <= 16384 cannot overflow);
  ;; the activation scales are powers of two, so the last multiply is exact.
  ;; w, scales, zpe: as gemm_w4 when sym = 0. When sym = 1 the weights are int4 with zero point 0 stored as they are
  ;; (two's complement nibbles, zpe unused), which saves the zero-point subtraction. a: int16 activation codes [M, kp]; each group of 32 inputs is stored as the 8
  ;; elements 4j, then 4j + 1, 4j + 2, 4j + 3 (j = 0..7): the order in which one 16-byte load of nibbles splits
  ;; into four int16 vectors (nibble i of 16-bit lane j is element 4j + i). as: float32 activation scales [M, kp / B].
  (func (export "gemm_w4a16") (param $w i32) (param $scales i32) (param $zpe i32) (param $a i32) (param $as i32)
    (param $y i32) (param $M i32) (param $N i32) (param $kp i32) (param $B i32) (param $sym i32) (param $n0 i32) (param $n1 i32)
    (local $n i32) (local $m i32) (local $b i32) (local $g i32) (local $nb i32) (local $gpb i32) (local $rowBytes i32)
    (local $rowa i32) (local $wp i32) (local $sp i32) (local $zp i32) (local $swv v128)
    (local $ap0 i32) (local $ap1 i32) (local $ap2 i32) (local $ap3 i32)
    (local $asp0 i32) (local $asp1 i32) (local $asp2 i32) (local $asp3 i32)
    (local $wv v128) (local $mask v128) (local $z16 v128)
    (local $q0 v128) (local $q1 v128) (local $q2 v128) (local $q3 v128)
    (local $c0 v128) (local $c1 v128) (local $c2 v128) (local $c3 v128)
    (local $t0 v128) (local $t1 v128) (local $t2 v128) (local $t3 v128)
    (if (i32.or (i32.eqz (local.get $kp)) (i32.eqz (local.get $M))) (then (return)))
    (local.set $mask (v128.const i16x8 15 15 15 15 15 15 15 15))
    (local.set $nb (i32.div_u (local.get $kp) (local.get $B)))
    (local.set $gpb (i32.div_u (local.get $B) (i32.const 32)))
    (local.set $rowBytes (i32.shr_u (local.get $kp) (i32.const 1)))
    (local.set $rowa (i32.shl (local.get $kp) (i32.const 1)))
    (local.set $n (local.get $n0))
    (block $ndone
      (loop $nloop
      (br_if $ndone (i32.ge_u (local.get $n) (local.get $n1)))
      (local.set $m (i32.const 0))
      ;; tile of 4 activation row(s)
      (block $mdone4
        (loop $mloop4
        (br_if $mdone4 (i32.gt_u (i32.add (local.get $m) (i32.const 4)) (local.get $M)))
        (local.set $wp (i32.add (local.get $w) (i32.mul (local.get $n) (local.get $rowBytes))))
        (local.set $sp (i32.add (local.get $scales) (i32.shl (i32.mul (local.get $n) (local.get $nb)) (i32.const 2))))
        (local.set $zp (i32.add (local.get $zpe) (i32.shl (i32.mul (local.get $n) (local.get $nb)) (i32.const 2))))
        (local.set $ap0 (i32.add (local.get $a) (i32.mul (i32.add (local.get $m) (i32.const 0)) (local.get $rowa))))
        (local.set $asp0 (i32.add (local.get $as) (i32.shl (i32.mul (i32.add (local.get $m) (i32.const 0)) (local.get $nb)) (i32.const 2))))
        (local.set $t0 (v128.const i32x4 0 0 0 0))
        (local.set $ap1 (i32.add (local.get $a) (i32.mul (i32.add (local.get $m) (i32.const 1)) (local.get $rowa))))
        (local.set $asp1 (i32.add (local.get $as) (i32.shl (i32.mul (i32.add (local.get $m) (i32.const 1)) (local.get $nb)) (i32.const 2))))
        (local.set $t1 (v128.const i32x4 0 0 0 0))
        (local.set $ap2 (i32.add (local.get $a) (i32.mul (i32.add (local.get $m) (i32.const 2)) (local.get $rowa))))
        (local.set $asp2 (i32.add (local.get $as) (i32.shl (i32.mul (i32.add (local.get $m) (i32.const 2)) (local.get $nb)) (i32.const 2))))
        (local.set $t2 (v128.const i32x4 0 0 0 0))
        (local.set $ap3 (i32.add (local.get $a) (i32.mul (i32.add (local.get $m) (i32.const 3)) (local.get $rowa))))
        (local.set $asp3 (i32.add (local.get $as) (i32.shl (i32.mul (i32.add (local.get $m) (i32.const 3)) (local.get $nb)) (i32.const 2))))
        (local.set $t3 (v128.const i32x4 0 0 0 0))
        (local.set $b (i32.const 0))
        (loop $blocks4
            (if (local.get $sym)
              (then
                (local.set $wv (v128.load (local.get $wp)))
                (local.set $q0 (i16x8.shr_s (i16x8.shl (local.get $wv) (i32.const 12)) (i32.const 12)))
                (local.set $q1 (i16x8.shr_s (i16x8.shl (local.get $wv) (i32.const 8)) (i32.const 12)))
                (local.set $q2 (i16x8.shr_s (i16x8.shl (local.get $wv) (i32.const 4)) (i32.const 12)))
                (local.set $q3 (i16x8.shr_s (local.get $wv) (i32.const 12)))
                (local.set $c0 (i32x4.add (i32x4.add (i32x4.dot_i16x8_s (local.get $q0) (v128.load offset=0 (local.get $ap0))) (i32x4.dot_i16x8_s (local.get $q1) (v128.load offset=16 (local.get $ap0))))
                    (i32x4.add (i32x4.dot_i16x8_s (local.get $q2) (v128.load offset=32 (local.get $ap0))) (i32x4.dot_i16x8_s (local.get $q3) (v128.load offset=48 (local.get $ap0))))))
                (local.set $ap0 (i32.add (local.get $ap0) (i32.const 64)))
                (local.set $c1 (i32x4.add (i32x4.add (i32x4.dot_i16x8_s (local.get $q0) (v128.load offset=0 (local.get $ap1))) (i32x4.dot_i16x8_s (local.get $q1) (v128.load offset=16 (local.get $ap1))))
                    (i32x4.add (i32x4.dot_i16x8_s (local.get $q2) (v128.load offset=32 (local.get $ap1))) (i32x4.dot_i16x8_s (local.get $q3) (v128.load offset=48 (local.get $ap1))))))
                (local.set $ap1 (i32.add (local.get $ap1) (i32.const 64)))
                (local.set $c2 (i32x4.add (i32x4.add (i32x4.dot_i16x8_s (local.get $q0) (v128.load offset=0 (local.get $ap2))) (i32x4.dot_i16x8_s (local.get $q1) (v128.load offset=16 (local.get $ap2))))
                    (i32x4.add (i32x4.dot_i16x8_s (local.get $q2) (v128.load offset=32 (local.get $ap2))) (i32x4.dot_i16x8_s (local.get $q3) (v128.load offset=48 (local.get $ap2))))))
                (local.set $ap2 (i32.add (local.get $ap2) (i32.const 64)))
                (local.set $c3 (i32x4.add (i32x4.add (i32x4.dot_i16x8_s (local.get $q0) (v128.load offset=0 (local.get $ap3))) (i32x4.dot_i16x8_s (local.get $q1) (v128.load offset=16 (local.get $ap3))))
                    (i32x4.add (i32x4.dot_i16x8_s (local.get $q2) (v128.load offset=32 (local.get $ap3))) (i32x4.dot_i16x8_s (local.get $q3) (v128.load offset=48 (local.get $ap3))))))
                (local.set $ap3 (i32.add (local.get $ap3) (i32.const 64)))
                (local.set $wp (i32.add (local.get $wp) (i32.const 16)))
            (local.set $g (i32.const 1))
            (block $gdone4s
              (br_if $gdone4s (i32.ge_u (local.get $g) (local.get $gpb)))
              (loop $groups4s
                (local.set $wv (v128.load (local.get $wp)))
                (local.set $q0 (i16x8.shr_s (i16x8.shl (local.get $wv) (i32.const 12)) (i32.const 12)))
                (local.set $q1 (i16x8.shr_s (i16x8.shl (local.get $wv) (i32.const 8)) (i32.const 12)))
                (local.set $q2 (i16x8.shr_s (i16x8.shl (local.get $wv) (i32.const 4)) (i32.const 12)))
                (local.set $q3 (i16x8.shr_s (local.get $wv) (i32.const 12)))
                (local.set $c0 (i32x4.add (local.get $c0) (i32x4.add (i32x4.add (i32x4.dot_i16x8_s (local.get $q0) (v128.load offset=0 (local.get $ap0))) (i32x4.dot_i16x8_s (local.get $q1) (v128.load offset=16 (local.get $ap0))))
                    (i32x4.add (i32x4.dot_i16x8_s (local.get $q2) (v128.load offset=32 (local.get $ap0))) (i32x4.dot_i16x8_s (local.get $q3) (v128.load offset=48 (local.get $ap0)))))))
                (local.set $ap0 (i32.add (local.get $ap0) (i32.const 64)))
                (local.set $c1 (i32x4.add (local.get $c1) (i32x4.add (i32x4.add (i32x4.dot_i16x8_s (local.get $q0) (v128.load offset=0 (local.get $ap1))) (i32x4.dot_i16x8_s (local.get $q1) (v128.load offset=16 (local.get $ap1))))
                    (i32x4.add (i32x4.dot_i16x8_s (local.get $q2) (v128.load offset=32 (local.get $ap1))) (i32x4.dot_i16x8_s (local.get $q3) (v128.load offset=48 (local.get $ap1)))))))
                (local.set $ap1 (i32.add (local.get $ap1) (i32.const 64)))
                (local.set $c2 (i32x4.add (local.get $c2) (i32x4.add (i32x4.add (i32x4.dot_i16x8_s (local.get $q0) (v128.load offset=0 (local.get $ap2))) (i32x4.dot_i16x8_s (local.get $q1) (v128.load offset=16 (local.get $ap2))))
                    (i32x4.add (i32x4.dot_i16x8_s (local.get $q2) (v128.load offset=32 (local.get $ap2))) (i32x4.dot_i16x8_s (local.get $q3) (v128.load offset=48 (local.get $ap2)))))))
                (local.set $ap2 (i32.add (local.get $ap2) (i32.const 64)))
                (local.set $c3 (i32x4.add (local.get $c3) (i32x4.add (i32x4.add (i32x4.dot_i16x8_s (local.get $q0) (v128.load offset=0 (local.get $ap3))) (i32x4.dot_i16x8_s (local.get $q1) (v128.load offset=16 (local.get $ap3))))
                    (i32x4.add (i32x4.dot_i16x8_s (local.get $q2) (v128.load offset=32 (local.get $ap3))) (i32x4.dot_i16x8_s (local.get $q3) (v128.load offset=48 (local.get $ap3)))))))
                (local.set $ap3 (i32.add (local.get $ap3) (i32.const 64)))
                (local.set $wp (i32.add (local.get $wp) (i32.const 16)))
                (local.set $g (i32.add (local.get $g) (i32.const 1)))
                (br_if $groups4s (i32.lt_u (local.get $g) (local.get $gpb)))))
              )
              (else
            (local.set $z16 (i16x8.splat (i32.load (local.get $zp))))
                (local.set $wv (v128.load (local.get $wp)))
                (local.set $q0 (i16x8.sub (v128.and (local.get $wv) (local.get $mask)) (local.get $z16)))
                (local.set $q1 (i16x8.sub (v128.and (i16x8.shr_u (local.get $wv) (i32.const 4)) (local.get $mask)) (local.get $z16)))
                (local.set $q2 (i16x8.sub (v128.and (i16x8.shr_u (local.get $wv) (i32.const 8)) (local.get $mask)) (local.get $z16)))
                (local.set $q3 (i16x8.sub (i16x8.shr_u (local.get $wv) (i32.const 12)) (local.get $z16)))
                (local.set $c0 (i32x4.add (i32x4.add (i32x4.dot_i16x8_s (local.get $q0) (v128.load offset=0 (local.get $ap0))) (i32x4.dot_i16x8_s (local.get $q1) (v128.load offset=16 (local.get $ap0))))
                    (i32x4.add (i32x4.dot_i16x8_s (local.get $q2) (v128.load offset=32 (local.get $ap0))) (i32x4.dot_i16x8_s (local.get $q3) (v128.load offset=48 (local.get $ap0))))))
                (local.set $ap0 (i32.add (local.get $ap0) (i32.const 64)))
                (local.set $c1 (i32x4.add (i32x4.add (i32x4.dot_i16x8_s (local.get $q0) (v128.load offset=0 (local.get $ap1))) (i32x4.dot_i16x8_s (local.get $q1) (v128.load offset=16 (local.get $ap1))))
                    (i32x4.add (i32x4.dot_i16x8_s (local.get $q2) (v128.load offset=32 (local.get $ap1))) (i32x4.dot_i16x8_s (local.get $q3) (v128.load offset=48 (local.get $ap1))))))
                (local.set $ap1 (i32.add (local.get $ap1) (i32.const 64)))
                (local.set $c2 (i32x4.add (i32x4.add (i32x4.dot_i16x8_s (local.get $q0) (v128.load offset=0 (local.get $ap2))) (i32x4.dot_i16x8_s (local.get $q1) (v128.load offset=16 (local.get $ap2))))
                    (i32x4.add (i32x4.dot_i16x8_s (local.get $q2) (v128.load offset=32 (local.get $ap2))) (i32x4.dot_i16x8_s (local.get $q3) (v128.load offset=48 (local.get $ap2))))))
                (local.set $ap2 (i32.add (local.get $ap2) (i32.const 64)))
                (local.set $c3 (i32x4.add (i32x4.add (i32x4.dot_i16x8_s (local.get $q0) (v128.load offset=0 (local.get $ap3))) (i32x4.dot_i16x8_s (local.get $q1) (v128.load offset=16 (local.get $ap3))))
                    (i32x4.add (i32x4.dot_i16x8_s (local.get $q2) (v128.load offset=32 (local.get $ap3))) (i32x4.dot_i16x8_s (local.get $q3) (v128.load offset=48 (local.get $ap3))))))
                (local.set $ap3 (i32.add (local.get $ap3) (i32.const 64)))
                (local.set $wp (i32.add (local.get $wp) (i32.const 16)))
            (local.set $g (i32.const 1))
            (block $gdone4z
              (br_if $gdone4z (i32.ge_u (local.get $g) (local.get $gpb)))
              (loop $groups4z
                (local.set $wv (v128.load (local.get $wp)))
                (local.set $q0 (i16x8.sub (v128.and (local.get $wv) (local.get $mask)) (local.get $z16)))
                (local.set $q1 (i16x8.sub (v128.and (i16x8.shr_u (local.get $wv) (i32.const 4)) (local.get $mask)) (local.get $z16)))
                (local.set $q2 (i16x8.sub (v128.and (i16x8.shr_u (local.get $wv) (i32.const 8)) (local.get $mask)) (local.get $z16)))
                (local.set $q3 (i16x8.sub (i16x8.shr_u (local.get $wv) (i32.const 12)) (local.get $z16)))
                (local.set $c0 (i32x4.add (local.get $c0) (i32x4.add (i32x4.add (i32x4.dot_i16x8_s (local.get $q0) (v128.load offset=0 (local.get $ap0))) (i32x4.dot_i16x8_s (local.get $q1) (v128.load offset=16 (local.get $ap0))))
                    (i32x4.add (i32x4.dot_i16x8_s (local.get $q2) (v128.load offset=32 (local.get $ap0))) (i32x4.dot_i16x8_s (local.get $q3) (v128.load offset=48 (local.get $ap0)))))))
                (local.set $ap0 (i32.add (local.get $ap0) (i32.const 64)))
                (local.set $c1 (i32x4.add (local.get $c1) (i32x4.add (i32x4.add (i32x4.dot_i16x8_s (local.get $q0) (v128.load offset=0 (local.get $ap1))) (i32x4.dot_i16x8_s (local.get $q1) (v128.load offset=16 (local.get $ap1))))
                    (i32x4.add (i32x4.dot_i16x8_s (local.get $q2) (v128.load offset=32 (local.get $ap1))) (i32x4.dot_i16x8_s (local.get $q3) (v128.load offset=48 (local.get $ap1)))))))
                (local.set $ap1 (i32.add (local.get $ap1) (i32.const 64)))
                (local.set $c2 (i32x4.add (local.get $c2) (i32x4.add (i32x4.add (i32x4.dot_i16x8_s (local.get $q0) (v128.load offset=0 (local.get $ap2))) (i32x4.dot_i16x8_s (local.get $q1) (v128.load offset=16 (local.get $ap2))))
                    (i32x4.add (i32x4.dot_i16x8_s (local.get $q2) (v128.load offset=32 (local.get $ap2))) (i32x4.dot_i16x8_s (local.get $q3) (v128.load offset=48 (local.get $ap2)))))))
                (local.set $ap2 (i32.add (local.get $ap2) (i32.const 64)))
                (local.set $c3 (i32x4.add (local.get $c3) (i32x4.add (i32x4.add (i32x4.dot_i16x8_s (local.get $q0) (v128.load offset=0 (local.get $ap3))) (i32x4.dot_i16x8_s (local.get $q1) (v128.load offset=16 (local.get $ap3))))
                    (i32x4.add (i32x4.dot_i16x8_s (local.get $q2) (v128.load offset=32 (local.get $ap3))) (i32x4.dot_i16x8_s (local.get $q3) (v128.load offset=48 (local.get $ap3)))))))
                (local.set $ap3 (i32.add (local.get $ap3) (i32.const 64)))
                (local.set $wp (i32.add (local.get $wp) (i32.const 16)))
                (local.set $g (i32.add (local.get $g) (i32.const 1)))
                (br_if $groups4z (i32.lt_u (local.get $g) (local.get $gpb)))))
              ))
            (local.set $swv (f32x4.splat (f32.load (local.get $sp))))
            (local.set $t0 (f32x4.add (local.get $t0)
              (f32x4.mul (f32x4.mul (f32x4.convert_i32x4_s (local.get $c0)) (local.get $swv)) (f32x4.splat (f32.load (local.get $asp0))))))
            (local.set $asp0 (i32.add (local.get $asp0) (i32.const 4)))
            (local.set $t1 (f32x4.add (local.get $t1)
              (f32x4.mul (f32x4.mul (f32x4.convert_i32x4_s (local.get $c1)) (local.get $swv)) (f32x4.splat (f32.load (local.get $asp1))))))
            (local.set $asp1 (i32.add (local.get $asp1) (i32.const 4)))
            (local.set $t2 (f32x4.add (local.get $t2)
              (f32x4.mul (f32x4.mul (f32x4.convert_i32x4_s (local.get $c2)) (local.get $swv)) (f32x4.splat (f32.load (local.get $asp2))))))
            (local.set $asp2 (i32.add (local.get $asp2) (i32.const 4)))
            (local.set $t3 (f32x4.add (local.get $t3)
              (f32x4.mul (f32x4.mul (f32x4.convert_i32x4_s (local.get $c3)) (local.get $swv)) (f32x4.splat (f32.load (local.get $asp3))))))
            (local.set $asp3 (i32.add (local.get $asp3) (i32.const 4)))
            (local.set $sp (i32.add (local.get $sp) (i32.const 4)))
            (local.set $zp (i32.add (local.get $zp) (i32.const 4)))
            (local.set $b (i32.add (local.get $b) (i32.const 1)))
            (br_if $blocks4 (i32.lt_u (local.get $b) (local.get $nb))))
        (f32.store (i32.add (local.get $y) (i32.shl (i32.add (i32.mul (i32.add (local.get $m) (i32.const 0)) (local.get $N)) (local.get $n)) (i32.const 2)))
          (f32.add (f32.add (f32x4.extract_lane 0 (local.get $t0)) (f32x4.extract_lane 1 (local.get $t0)))
            (f32.add (f32x4.extract_lane 2 (local.get $t0)) (f32x4.extract_lane 3 (local.get $t0)))))
        (f32.store (i32.add (local.get $y) (i32.shl (i32.add (i32.mul (i32.add (local.get $m) (i32.const 1)) (local.get $N)) (local.get $n)) (i32.const 2)))
          (f32.add (f32.add (f32x4.extract_lane 0 (local.get $t1)) (f32x4.extract_lane 1 (local.get $t1)))
            (f32.add (f32x4.extract_lane 2 (local.get $t1)) (f32x4.extract_lane 3 (local.get $t1)))))
        (f32.store (i32.add (local.get $y) (i32.shl (i32.add (i32.mul (i32.add (local.get $m) (i32.const 2)) (local.get $N)) (local.get $n)) (i32.const 2)))
          (f32.add (f32.add (f32x4.extract_lane 0 (local.get $t2)) (f32x4.extract_lane 1 (local.get $t2)))
            (f32.add (f32x4.extract_lane 2 (local.get $t2)) (f32x4.extract_lane 3 (local.get $t2)))))
        (f32.store (i32.add (local.get $y) (i32.shl (i32.add (i32.mul (i32.add (local.get $m) (i32.const 3)) (local.get $N)) (local.get $n)) (i32.const 2)))
          (f32.add (f32.add (f32x4.extract_lane 0 (local.get $t3)) (f32x4.extract_lane 1 (local.get $t3)))
            (f32.add (f32x4.extract_lane 2 (local.get $t3)) (f32x4.extract_lane 3 (local.get $t3)))))
        (local.set $m (i32.add (local.get $m) (i32.const 4)))
        (br $mloop4)))
      ;; tile of 1 activation row(s)
      (block $mdone1
        (loop $mloop1
        (br_if $mdone1 (i32.gt_u (i32.add (local.get $m) (i32.const 1)) (local.get $M)))
        (local.set $wp (i32.add (local.get $w) (i32.mul (local.get $n) (local.get $rowBytes))))
        (local.set $sp (i32.add (local.get $scales) (i32.shl (i32.mul (local.get $n) (local.get $nb)) (i32.const 2))))
        (local.set $zp (i32.add (local.get $zpe) (i32.shl (i32.mul (local.get $n) (local.get $nb)) (i32.const 2))))
        (local.set $ap0 (i32.add (local.get $a) (i32.mul (i32.add (local.get $m) (i32.const 0)) (local.get $rowa))))
        (local.set $asp0 (i32.add (local.get $as) (i32.shl (i32.mul (i32.add (local.get $m) (i32.const 0)) (local.get $nb)) (i32.const 2))))
        (local.set $t0 (v128.const i32x4 0 0 0 0))
        (local.set $b (i32.const 0))
        (loop $blocks1
            (if (local.get $sym)
              (then
                (local.set $wv (v128.load (local.get $wp)))
                (local.set $q0 (i16x8.shr_s (i16x8.shl (local.get $wv) (i32.const 12)) (i32.const 12)))
                (local.set $q1 (i16x8.shr_s (i16x8.shl (local.get $wv) (i32.const 8)) (i32.const 12)))
                (local.set $q2 (i16x8.shr_s (i16x8.shl (local.get $wv) (i32.const 4)) (i32.const 12)))
                (local.set $q3 (i16x8.shr_s (local.get $wv) (i32.const 12)))
                (local.set $c0 (i32x4.add (i32x4.add (i32x4.dot_i16x8_s (local.get $q0) (v128.load offset=0 (local.get $ap0))) (i32x4.dot_i16x8_s (local.get $q1) (v128.load offset=16 (local.get $ap0))))
                    (i32x4.add (i32x4.dot_i16x8_s (local.get $q2) (v128.load offset=32 (local.get $ap0))) (i32x4.dot_i16x8_s (local.get $q3) (v128.load offset=48 (local.get $ap0))))))
                (local.set $ap0 (i32.add (local.get $ap0) (i32.const 64)))
                (local.set $wp (i32.add (local.get $wp) (i32.const 16)))
            (local.set $g (i32.const 1))
            (block $gdone1s
              (br_if $gdone1s (i32.ge_u (local.get $g) (local.get $gpb)))
              (loop $groups1s
                (local.set $wv (v128.load (local.get $wp)))
                (local.set $q0 (i16x8.shr_s (i16x8.shl (local.get $wv) (i32.const 12)) (i32.const 12)))
                (local.set $q1 (i16x8.shr_s (i16x8.shl (local.get $wv) (i32.const 8)) (i32.const 12)))
                (local.set $q2 (i16x8.shr_s (i16x8.shl (local.get $wv) (i32.const 4)) (i32.const 12)))
                (local.set $q3 (i16x8.shr_s (local.get $wv) (i32.const 12)))
                (local.set $c0 (i32x4.add (local.get $c0) (i32x4.add (i32x4.add (i32x4.dot_i16x8_s (local.get $q0) (v128.load offset=0 (local.get $ap0))) (i32x4.dot_i16x8_s (local.get $q1) (v128.load offset=16 (local.get $ap0))))
                    (i32x4.add (i32x4.dot_i16x8_s (local.get $q2) (v128.load offset=32 (local.get $ap0))) (i32x4.dot_i16x8_s (local.get $q3) (v128.load offset=48 (local.get $ap0)))))))
                (local.set $ap0 (i32.add (local.get $ap0) (i32.const 64)))
                (local.set $wp (i32.add (local.get $wp) (i32.const 16)))
                (local.set $g (i32.add (local.get $g) (i32.const 1)))
                (br_if $groups1s (i32.lt_u (local.get $g) (local.get $gpb)))))
              )
              (else
            (local.set $z16 (i16x8.splat (i32.load (local.get $zp))))
                (local.set $wv (v128.load (local.get $wp)))
                (local.set $q0 (i16x8.sub (v128.and (local.get $wv) (local.get $mask)) (local.get $z16)))
                (local.set $q1 (i16x8.sub (v128.and (i16x8.shr_u (local.get $wv) (i32.const 4)) (local.get $mask)) (local.get $z16)))
                (local.set $q2 (i16x8.sub (v128.and (i16x8.shr_u (local.get $wv) (i32.const 8)) (local.get $mask)) (local.get $z16)))
                (local.set $q3 (i16x8.sub (i16x8.shr_u (local.get $wv) (i32.const 12)) (local.get $z16)))
                (local.set $c0 (i32x4.add (i32x4.add (i32x4.dot_i16x8_s (local.get $q0) (v128.load offset=0 (local.get $ap0))) (i32x4.dot_i16x8_s (local.get $q1) (v128.load offset=16 (local.get $ap0))))
                    (i32x4.add (i32x4.dot_i16x8_s (local.get $q2) (v128.load offset=32 (local.get $ap0))) (i32x4.dot_i16x8_s (local.get $q3) (v128.load offset=48 (local.get $ap0))))))
                (local.set $ap0 (i32.add (local.get $ap0) (i32.const 64)))
                (local.set $wp (i32.add (local.get $wp) (i32.const 16)))
            (local.set $g (i32.const 1))
            (block $gdone1z
              (br_if $gdone1z (i32.ge_u (local.get $g) (local.get $gpb)))
              (loop $groups1z
                (local.set $wv (v128.load (local.get $wp)))
                (local.set $q0 (i16x8.sub (v128.and (local.get $wv) (local.get $mask)) (local.get $z16)))
                (local.set $q1 (i16x8.sub (v128.and (i16x8.shr_u (local.get $wv) (i32.const 4)) (local.get $mask)) (local.get $z16)))
                (local.set $q2 (i16x8.sub (v128.and (i16x8.shr_u (local.get $wv) (i32.const 8)) (local.get $mask)) (local.get $z16)))
                (local.set $q3 (i16x8.sub (i16x8.shr_u (local.get $wv) (i32.const 12)) (local.get $z16)))
                (local.set $c0 (i32x4.add (local.get $c0) (i32x4.add (i32x4.add (i32x4.dot_i16x8_s (local.get $q0) (v128.load offset=0 (local.get $ap0))) (i32x4.dot_i16x8_s (local.get $q1) (v128.load offset=16 (local.get $ap0))))
                    (i32x4.add (i32x4.dot_i16x8_s (local.get $q2) (v128.load offset=32 (local.get $ap0))) (i32x4.dot_i16x8_s (local.get $q3) (v128.load offset=48 (local.get $ap0)))))))
                (local.set $ap0 (i32.add (local.get $ap0) (i32.const 64)))
                (local.set $wp (i32.add (local.get $wp) (i32.const 16)))
                (local.set $g (i32.add (local.get $g) (i32.const 1)))
                (br_if $groups1z (i32.lt_u (local.get $g) (local.get $gpb)))))
              ))
            (local.set $swv (f32x4.splat (f32.load (local.get $sp))))
            (local.set $t0 (f32x4.add (local.get $t0)
              (f32x4.mul (f32x4.mul (f32x4.convert_i32x4_s (local.get $c0)) (local.get $swv)) (f32x4.splat (f32.load (local.get $asp0))))))
            (local.set $asp0 (i32.add (local.get $asp0) (i32.const 4)))
            (local.set $sp (i32.add (local.get $sp) (i32.const 4)))
            (local.set $zp (i32.add (local.get $zp) (i32.const 4)))
            (local.set $b (i32.add (local.get $b) (i32.const 1)))
            (br_if $blocks1 (i32.lt_u (local.get $b) (local.get $nb))))
        (f32.store (i32.add (local.get $y) (i32.shl (i32.add (i32.mul (i32.add (local.get $m) (i32.const 0)) (local.get $N)) (local.get $n)) (i32.const 2)))
          (f32.add (f32.add (f32x4.extract_lane 0 (local.get $t0)) (f32x4.extract_lane 1 (local.get $t0)))
            (f32.add (f32x4.extract_lane 2 (local.get $t0)) (f32x4.extract_lane 3 (local.get $t0)))))
        (local.set $m (i32.add (local.get $m) (i32.const 1)))
        (br $mloop1)))
      (local.set $n (i32.add (local.get $n) (i32.const 1)))
      (br $nloop))))

  ;; ---------------------------------------------------------------------------------------------------------
  ;; gemm_f8(w, scales, x, y, M, N, kp, B, n0, n1)
  ;; y[m, n] = sum_b scales[n, b] * sum_{k in b} e4m3(w[n, k]) x[m, k] for rows n in [n0, n1).
  ;; w: float8_e4m3fn codes [N, kp] (no NaN codes); x: float32 [M, kp]; kp % B == 0, B % 16 == 0.
  (func (export "gemm_f8") (param $w i32) (param $scales i32) (param $x i32)
    (param $y i32) (param $M i32) (param $N i32) (param $kp i32) (param $B i32) (param $n0 i32) (param $n1 i32)
    (local $n i32) (local $m i32) (local $b i32) (local $g i32) (local $nb i32) (local $gpb i32) (local $rowBytes i32)
    (local $rowx i32) (local $wp i32) (local $xp0 i32) (local $xp1 i32) (local $xp2 i32) (local $xp3 i32) (local $sb f32)
    (local $wv v128) (local $lo v128) (local $hi v128) (local $t16 v128) (local $sv v128)
    (local $f0 v128) (local $f1 v128) (local $f2 v128) (local $f3 v128)

    (local $a0 v128) (local $a1 v128) (local $a2 v128) (local $a3 v128)
    (local $t0 v128) (local $t1 v128) (local $t2 v128) (local $t3 v128)
    (if (i32.or (i32.eqz (local.get $kp)) (i32.eqz (local.get $M))) (then (return)))
    (local.set $nb (i32.div_u (local.get $kp) (local.get $B)))
    (local.set $gpb (i32.div_u (local.get $B) (i32.const 16)))
    (local.set $rowBytes (local.get $kp))
    (local.set $rowx (i32.shl (local.get $kp) (i32.const 2)))
    (local.set $n (local.get $n0))
    (block $ndone
      (loop $nloop
      (br_if $ndone (i32.ge_u (local.get $n) (local.get $n1)))
      (local.set $m (i32.const 0))
      ;; tile of 4 activation row(s)
      (block $mdone4
        (loop $mloop4
        (br_if $mdone4 (i32.gt_u (i32.add (local.get $m) (i32.const 4)) (local.get $M)))
        (local.set $wp (i32.add (local.get $w) (i32.mul (local.get $n) (local.get $rowBytes))))
        (local.set $xp0 (i32.add (local.get $x) (i32.mul (i32.add (local.get $m) (i32.const 0)) (local.get $rowx))))
        (local.set $xp1 (i32.add (local.get $x) (i32.mul (i32.add (local.get $m) (i32.const 1)) (local.get $rowx))))
        (local.set $xp2 (i32.add (local.get $x) (i32.mul (i32.add (local.get $m) (i32.const 2)) (local.get $rowx))))
        (local.set $xp3 (i32.add (local.get $x) (i32.mul (i32.add (local.get $m) (i32.const 3)) (local.get $rowx))))
        (local.set $t0 (v128.const i32x4 0 0 0 0))
        (local.set $t1 (v128.const i32x4 0 0 0 0))
        (local.set $t2 (v128.const i32x4 0 0 0 0))
        (local.set $t3 (v128.const i32x4 0 0 0 0))
        (local.set $b (i32.const 0))
        (loop $blocks4
            (local.set $a0 (v128.const i32x4 0 0 0 0))
            (local.set $a1 (v128.const i32x4 0 0 0 0))
            (local.set $a2 (v128.const i32x4 0 0 0 0))
            (local.set $a3 (v128.const i32x4 0 0 0 0))
            (local.set $g (i32.const 0))
            (loop $groups4
                (local.set $wv (v128.load (local.get $wp)))
                (local.set $lo (i16x8.extend_low_i8x16_s (local.get $wv)))
                (local.set $hi (i16x8.extend_high_i8x16_s (local.get $wv)))
                (local.set $f0 (f32x4.mul (v128.and (i32x4.shl (i32x4.extend_low_i16x8_s (local.get $lo)) (i32.const 20)) (v128.const i32x4 0x87f00000 0x87f00000 0x87f00000 0x87f00000)) (v128.const f32x4 0x1p+120 0x1p+120 0x1p+120 0x1p+120)))
                (local.set $f1 (f32x4.mul (v128.and (i32x4.shl (i32x4.extend_high_i16x8_s (local.get $lo)) (i32.const 20)) (v128.const i32x4 0x87f00000 0x87f00000 0x87f00000 0x87f00000)) (v128.const f32x4 0x1p+120 0x1p+120 0x1p+120 0x1p+120)))
                (local.set $f2 (f32x4.mul (v128.and (i32x4.shl (i32x4.extend_low_i16x8_s (local.get $hi)) (i32.const 20)) (v128.const i32x4 0x87f00000 0x87f00000 0x87f00000 0x87f00000)) (v128.const f32x4 0x1p+120 0x1p+120 0x1p+120 0x1p+120)))
                (local.set $f3 (f32x4.mul (v128.and (i32x4.shl (i32x4.extend_high_i16x8_s (local.get $hi)) (i32.const 20)) (v128.const i32x4 0x87f00000 0x87f00000 0x87f00000 0x87f00000)) (v128.const f32x4 0x1p+120 0x1p+120 0x1p+120 0x1p+120)))
                (local.set $a0 (f32x4.add (local.get $a0)
                  (f32x4.add (f32x4.add (f32x4.mul (local.get $f0) (v128.load offset=0 (local.get $xp0))) (f32x4.mul (local.get $f1) (v128.load offset=16 (local.get $xp0)))) (f32x4.add (f32x4.mul (local.get $f2) (v128.load offset=32 (local.get $xp0))) (f32x4.mul (local.get $f3) (v128.load offset=48 (local.get $xp0)))))))
                (local.set $a1 (f32x4.add (local.get $a1)
                  (f32x4.add (f32x4.add (f32x4.mul (local.get $f0) (v128.load offset=0 (local.get $xp1))) (f32x4.mul (local.get $f1) (v128.load offset=16 (local.get $xp1)))) (f32x4.add (f32x4.mul (local.get $f2) (v128.load offset=32 (local.get $xp1))) (f32x4.mul (local.get $f3) (v128.load offset=48 (local.get $xp1)))))))
                (local.set $a2 (f32x4.add (local.get $a2)
                  (f32x4.add (f32x4.add (f32x4.mul (local.get $f0) (v128.load offset=0 (local.get $xp2))) (f32x4.mul (local.get $f1) (v128.load offset=16 (local.get $xp2)))) (f32x4.add (f32x4.mul (local.get $f2) (v128.load offset=32 (local.get $xp2))) (f32x4.mul (local.get $f3) (v128.load offset=48 (local.get $xp2)))))))
                (local.set $a3 (f32x4.add (local.get $a3)
                  (f32x4.add (f32x4.add (f32x4.mul (local.get $f0) (v128.load offset=0 (local.get $xp3))) (f32x4.mul (local.get $f1) (v128.load offset=16 (local.get $xp3)))) (f32x4.add (f32x4.mul (local.get $f2) (v128.load offset=32 (local.get $xp3))) (f32x4.mul (local.get $f3) (v128.load offset=48 (local.get $xp3)))))))
                (local.set $wp (i32.add (local.get $wp) (i32.const 16)))
                (local.set $xp0 (i32.add (local.get $xp0) (i32.const 64)))
                (local.set $xp1 (i32.add (local.get $xp1) (i32.const 64)))
                (local.set $xp2 (i32.add (local.get $xp2) (i32.const 64)))
                (local.set $xp3 (i32.add (local.get $xp3) (i32.const 64)))
                (local.set $g (i32.add (local.get $g) (i32.const 1)))
                (br_if $groups4 (i32.lt_u (local.get $g) (local.get $gpb))))
            (local.set $sb (f32.load (i32.add (local.get $scales) (i32.shl (i32.add (i32.mul (local.get $n) (local.get $nb)) (local.get $b)) (i32.const 2)))))
            (local.set $sv (f32x4.splat (local.get $sb)))
            (local.set $t0 (f32x4.add (local.get $t0) (f32x4.mul (local.get $sv) (local.get $a0))))
            (local.set $t1 (f32x4.add (local.get $t1) (f32x4.mul (local.get $sv) (local.get $a1))))
            (local.set $t2 (f32x4.add (local.get $t2) (f32x4.mul (local.get $sv) (local.get $a2))))
            (local.set $t3 (f32x4.add (local.get $t3) (f32x4.mul (local.get $sv) (local.get $a3))))

            (local.set $b (i32.add (local.get $b) (i32.const 1)))
            (br_if $blocks4 (i32.lt_u (local.get $b) (local.get $nb))))
        (f32.store (i32.add (local.get $y) (i32.shl (i32.add (i32.mul (i32.add (local.get $m) (i32.const 0)) (local.get $N)) (local.get $n)) (i32.const 2)))
          (f32.add (f32.add (f32x4.extract_lane 0 (local.get $t0)) (f32x4.extract_lane 1 (local.get $t0)))
            (f32.add (f32x4.extract_lane 2 (local.get $t0)) (f32x4.extract_lane 3 (local.get $t0)))))
        (f32.store (i32.add (local.get $y) (i32.shl (i32.add (i32.mul (i32.add (local.get $m) (i32.const 1)) (local.get $N)) (local.get $n)) (i32.const 2)))
          (f32.add (f32.add (f32x4.extract_lane 0 (local.get $t1)) (f32x4.extract_lane 1 (local.get $t1)))
            (f32.add (f32x4.extract_lane 2 (local.get $t1)) (f32x4.extract_lane 3 (local.get $t1)))))
        (f32.store (i32.add (local.get $y) (i32.shl (i32.add (i32.mul (i32.add (local.get $m) (i32.const 2)) (local.get $N)) (local.get $n)) (i32.const 2)))
          (f32.add (f32.add (f32x4.extract_lane 0 (local.get $t2)) (f32x4.extract_lane 1 (local.get $t2)))
            (f32.add (f32x4.extract_lane 2 (local.get $t2)) (f32x4.extract_lane 3 (local.get $t2)))))
        (f32.store (i32.add (local.get $y) (i32.shl (i32.add (i32.mul (i32.add (local.get $m) (i32.const 3)) (local.get $N)) (local.get $n)) (i32.const 2)))
          (f32.add (f32.add (f32x4.extract_lane 0 (local.get $t3)) (f32x4.extract_lane 1 (local.get $t3)))
            (f32.add (f32x4.extract_lane 2 (local.get $t3)) (f32x4.extract_lane 3 (local.get $t3)))))
        (local.set $m (i32.add (local.get $m) (i32.const 4)))
        (br $mloop4)))
      ;; tile of 1 activation row(s)
      (block $mdone1
        (loop $mloop1
        (br_if $mdone1 (i32.gt_u (i32.add (local.get $m) (i32.const 1)) (local.get $M)))
        (local.set $wp (i32.add (local.get $w) (i32.mul (local.get $n) (local.get $rowBytes))))
        (local.set $xp0 (i32.add (local.get $x) (i32.mul (i32.add (local.get $m) (i32.const 0)) (local.get $rowx))))
        (local.set $t0 (v128.const i32x4 0 0 0 0))
        (local.set $b (i32.const 0))
        (loop $blocks1
            (local.set $a0 (v128.const i32x4 0 0 0 0))
            (local.set $g (i32.const 0))
            (loop $groups1
                (local.set $wv (v128.load (local.get $wp)))
                (local.set $lo (i16x8.extend_low_i8x16_s (local.get $wv)))
                (local.set $hi (i16x8.extend_high_i8x16_s (local.get $wv)))
                (local.set $f0 (f32x4.mul (v128.and (i32x4.shl (i32x4.extend_low_i16x8_s (local.get $lo)) (i32.const 20)) (v128.const i32x4 0x87f00000 0x87f00000 0x87f00000 0x87f00000)) (v128.const f32x4 0x1p+120 0x1p+120 0x1p+120 0x1p+120)))
                (local.set $f1 (f32x4.mul (v128.and (i32x4.shl (i32x4.extend_high_i16x8_s (local.get $lo)) (i32.const 20)) (v128.const i32x4 0x87f00000 0x87f00000 0x87f00000 0x87f00000)) (v128.const f32x4 0x1p+120 0x1p+120 0x1p+120 0x1p+120)))
                (local.set $f2 (f32x4.mul (v128.and (i32x4.shl (i32x4.extend_low_i16x8_s (local.get $hi)) (i32.const 20)) (v128.const i32x4 0x87f00000 0x87f00000 0x87f00000 0x87f00000)) (v128.const f32x4 0x1p+120 0x1p+120 0x1p+120 0x1p+120)))
                (local.set $f3 (f32x4.mul (v128.and (i32x4.shl (i32x4.extend_high_i16x8_s (local.get $hi)) (i32.const 20)) (v128.const i32x4 0x87f00000 0x87f00000 0x87f00000 0x87f00000)) (v128.const f32x4 0x1p+120 0x1p+120 0x1p+120 0x1p+120)))
                (local.set $a0 (f32x4.add (local.get $a0)
                  (f32x4.add (f32x4.add (f32x4.mul (local.get $f0) (v128.load offset=0 (local.get $xp0))) (f32x4.mul (local.get $f1) (v128.load offset=16 (local.get $xp0)))) (f32x4.add (f32x4.mul (local.get $f2) (v128.load offset=32 (local.get $xp0))) (f32x4.mul (local.get $f3) (v128.load offset=48 (local.get $xp0)))))))
                (local.set $wp (i32.add (local.get $wp) (i32.const 16)))
                (local.set $xp0 (i32.add (local.get $xp0) (i32.const 64)))
                (local.set $g (i32.add (local.get $g) (i32.const 1)))
                (br_if $groups1 (i32.lt_u (local.get $g) (local.get $gpb))))
            (local.set $sb (f32.load (i32.add (local.get $scales) (i32.shl (i32.add (i32.mul (local.get $n) (local.get $nb)) (local.get $b)) (i32.const 2)))))
            (local.set $sv (f32x4.splat (local.get $sb)))
            (local.set $t0 (f32x4.add (local.get $t0) (f32x4.mul (local.get $sv) (local.get $a0))))

            (local.set $b (i32.add (local.get $b) (i32.const 1)))
            (br_if $blocks1 (i32.lt_u (local.get $b) (local.get $nb))))
        (f32.store (i32.add (local.get $y) (i32.shl (i32.add (i32.mul (i32.add (local.get $m) (i32.const 0)) (local.get $N)) (local.get $n)) (i32.const 2)))
          (f32.add (f32.add (f32x4.extract_lane 0 (local.get $t0)) (f32x4.extract_lane 1 (local.get $t0)))
            (f32.add (f32x4.extract_lane 2 (local.get $t0)) (f32x4.extract_lane 3 (local.get $t0)))))
        (local.set $m (i32.add (local.get $m) (i32.const 1)))
        (br $mloop1)))
      (local.set $n (i32.add (local.get $n) (i32.const 1)))
      (br $nloop))))

  ;; ---------------------------------------------------------------------------------------------------------
  ;; gemm_i8(a16, w, y, M, N, kp, n0, n1): y[m, n] = sum_k a[m, k] w[n, k] in int32, rows n in [n0, n1).
  ;; a16: activations widened to int16 [M, kp]; w: int8 [N, kp]; y: int32 [M, N]; kp % 16 == 0.
  (func (export "gemm_i8") (param $a16 i32) (param $w i32) (param $y i32) (param $M i32) (param $N i32) (param $kp i32)
    (param $n0 i32) (param $n1 i32)
    (local $n i32) (local $m i32) (local $wp i32) (local $wend i32) (local $rowa i32)
    (local $xp0 i32) (local $xp1 i32) (local $xp2 i32) (local $xp3 i32)
    (local $wv v128) (local $lo v128) (local $hi v128)
    (local $t0 v128) (local $t1 v128) (local $t2 v128) (local $t3 v128)
    (local.set $rowa (i32.shl (local.get $kp) (i32.const 1)))
    (local.set $n (local.get $n0))
    (block $ndone
      (loop $nloop
      (br_if $ndone (i32.ge_u (local.get $n) (local.get $n1)))
      (local.set $m (i32.const 0))
      ;; tile of 4 activation row(s)
      (block $mdone4
        (loop $mloop4
        (br_if $mdone4 (i32.gt_u (i32.add (local.get $m) (i32.const 4)) (local.get $M)))
        (local.set $wp (i32.add (local.get $w) (i32.mul (local.get $n) (local.get $kp))))
        (local.set $wend (i32.add (local.get $wp) (local.get $kp)))
        (local.set $xp0 (i32.add (local.get $a16) (i32.mul (i32.add (local.get $m) (i32.const 0)) (local.get $rowa))))
        (local.set $xp1 (i32.add (local.get $a16) (i32.mul (i32.add (local.get $m) (i32.const 1)) (local.get $rowa))))
        (local.set $xp2 (i32.add (local.get $a16) (i32.mul (i32.add (local.get $m) (i32.const 2)) (local.get $rowa))))
        (local.set $xp3 (i32.add (local.get $a16) (i32.mul (i32.add (local.get $m) (i32.const 3)) (local.get $rowa))))
        (local.set $t0 (v128.const i32x4 0 0 0 0))
        (local.set $t1 (v128.const i32x4 0 0 0 0))
        (local.set $t2 (v128.const i32x4 0 0 0 0))
        (local.set $t3 (v128.const i32x4 0 0 0 0))
        (block $kdone4
          (loop $kloop4
            (br_if $kdone4 (i32.ge_u (local.get $wp) (local.get $wend)))
            (local.set $wv (v128.load (local.get $wp)))
            (local.set $lo (i16x8.extend_low_i8x16_s (local.get $wv)))
            (local.set $hi (i16x8.extend_high_i8x16_s (local.get $wv)))
            (local.set $t0 (i32x4.add (local.get $t0) (i32x4.add (i32x4.dot_i16x8_s (local.get $lo) (v128.load (local.get $xp0))) (i32x4.dot_i16x8_s (local.get $hi) (v128.load offset=16 (local.get $xp0))))))
            (local.set $t1 (i32x4.add (local.get $t1) (i32x4.add (i32x4.dot_i16x8_s (local.get $lo) (v128.load (local.get $xp1))) (i32x4.dot_i16x8_s (local.get $hi) (v128.load offset=16 (local.get $xp1))))))
            (local.set $t2 (i32x4.add (local.get $t2) (i32x4.add (i32x4.dot_i16x8_s (local.get $lo) (v128.load (local.get $xp2))) (i32x4.dot_i16x8_s (local.get $hi) (v128.load offset=16 (local.get $xp2))))))
            (local.set $t3 (i32x4.add (local.get $t3) (i32x4.add (i32x4.dot_i16x8_s (local.get $lo) (v128.load (local.get $xp3))) (i32x4.dot_i16x8_s (local.get $hi) (v128.load offset=16 (local.get $xp3))))))
            (local.set $wp (i32.add (local.get $wp) (i32.const 16)))
            (local.set $xp0 (i32.add (local.get $xp0) (i32.const 32)))
            (local.set $xp1 (i32.add (local.get $xp1) (i32.const 32)))
            (local.set $xp2 (i32.add (local.get $xp2) (i32.const 32)))
            (local.set $xp3 (i32.add (local.get $xp3) (i32.const 32)))
            (br $kloop4)))
        (i32.store (i32.add (local.get $y) (i32.shl (i32.add (i32.mul (i32.add (local.get $m) (i32.const 0)) (local.get $N)) (local.get $n)) (i32.const 2)))
          (i32.add (i32.add (i32x4.extract_lane 0 (local.get $t0)) (i32x4.extract_lane 1 (local.get $t0)))
            (i32.add (i32x4.extract_lane 2 (local.get $t0)) (i32x4.extract_lane 3 (local.get $t0)))))
        (i32.store (i32.add (local.get $y) (i32.shl (i32.add (i32.mul (i32.add (local.get $m) (i32.const 1)) (local.get $N)) (local.get $n)) (i32.const 2)))
          (i32.add (i32.add (i32x4.extract_lane 0 (local.get $t1)) (i32x4.extract_lane 1 (local.get $t1)))
            (i32.add (i32x4.extract_lane 2 (local.get $t1)) (i32x4.extract_lane 3 (local.get $t1)))))
        (i32.store (i32.add (local.get $y) (i32.shl (i32.add (i32.mul (i32.add (local.get $m) (i32.const 2)) (local.get $N)) (local.get $n)) (i32.const 2)))
          (i32.add (i32.add (i32x4.extract_lane 0 (local.get $t2)) (i32x4.extract_lane 1 (local.get $t2)))
            (i32.add (i32x4.extract_lane 2 (local.get $t2)) (i32x4.extract_lane 3 (local.get $t2)))))
        (i32.store (i32.add (local.get $y) (i32.shl (i32.add (i32.mul (i32.add (local.get $m) (i32.const 3)) (local.get $N)) (local.get $n)) (i32.const 2)))
          (i32.add (i32.add (i32x4.extract_lane 0 (local.get $t3)) (i32x4.extract_lane 1 (local.get $t3)))
            (i32.add (i32x4.extract_lane 2 (local.get $t3)) (i32x4.extract_lane 3 (local.get $t3)))))
        (local.set $m (i32.add (local.get $m) (i32.const 4)))
        (br $mloop4)))
      ;; tile of 1 activation row(s)
      (block $mdone1
        (loop $mloop1
        (br_if $mdone1 (i32.gt_u (i32.add (local.get $m) (i32.const 1)) (local.get $M)))
        (local.set $wp (i32.add (local.get $w) (i32.mul (local.get $n) (local.get $kp))))
        (local.set $wend (i32.add (local.get $wp) (local.get $kp)))
        (local.set $xp0 (i32.add (local.get $a16) (i32.mul (i32.add (local.get $m) (i32.const 0)) (local.get $rowa))))
        (local.set $t0 (v128.const i32x4 0 0 0 0))
        (block $kdone1
          (loop $kloop1
            (br_if $kdone1 (i32.ge_u (local.get $wp) (local.get $wend)))
            (local.set $wv (v128.load (local.get $wp)))
            (local.set $lo (i16x8.extend_low_i8x16_s (local.get $wv)))
            (local.set $hi (i16x8.extend_high_i8x16_s (local.get $wv)))
            (local.set $t0 (i32x4.add (local.get $t0) (i32x4.add (i32x4.dot_i16x8_s (local.get $lo) (v128.load (local.get $xp0))) (i32x4.dot_i16x8_s (local.get $hi) (v128.load offset=16 (local.get $xp0))))))
            (local.set $wp (i32.add (local.get $wp) (i32.const 16)))
            (local.set $xp0 (i32.add (local.get $xp0) (i32.const 32)))
            (br $kloop1)))
        (i32.store (i32.add (local.get $y) (i32.shl (i32.add (i32.mul (i32.add (local.get $m) (i32.const 0)) (local.get $N)) (local.get $n)) (i32.const 2)))
          (i32.add (i32.add (i32x4.extract_lane 0 (local.get $t0)) (i32x4.extract_lane 1 (local.get $t0)))
            (i32.add (i32x4.extract_lane 2 (local.get $t0)) (i32x4.extract_lane 3 (local.get $t0)))))
        (local.set $m (i32.add (local.get $m) (i32.const 1)))
        (br $mloop1)))
      (local.set $n (i32.add (local.get $n) (i32.const 1)))
      (br $nloop))))

)
