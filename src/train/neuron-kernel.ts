/**
 * The spiking-neuron recurrence of the trainer (forward and back-propagation through time) as a small
 * WebAssembly module, written in the WebAssembly text format below and assembled once per process by wabt.
 *
 * Why not JavaScript: the spike test `v ≥ θ` on irregular spike patterns is a badly predicted branch in the code
 * V8 generates for JavaScript (about 10 ns per neuron-step on this machine), while WebAssembly's `f64.ge` and
 * `select` compile to flag and conditional-move instructions (2–4 ns per neuron-step here). The neuron layers were
 * over a third of a training batch's time in JavaScript, and still 31 % of the reference student's batch with one
 * neuron per instruction; maps with an even channel count now run two channels per float64x2 instruction
 * (WebAssembly SIMD), which halved the layers' time (bench:train --profile) and gives the same bits
 * (tests/train/surrogate.test.ts compares the two paths on the same neurons).
 *
 * Semantics are exactly those of the IR's IF/LIF nodes as the float reference executor (src/ir/execute.ts)
 * runs them, in float64 arithmetic with the potential carried between steps rounded to float32:
 *   v_pre[t] = decay·v[t−1] + I[t];  s[t] = (v_pre[t] ≥ θ);  v[t] = fround(v_pre[t] − θ·s[t])  (subtract)
 *                                                           v[t] = fround(v_pre[t]·(1 − s[t]))  (to zero)
 * Both passes run image by image (all steps of one sample's map, then the next sample), so an image's potentials
 * stay in the cache across its steps. The backward pass replays the forward recurrence of the image from its input
 * current instead of storing every step's potential between the passes, then runs BPTT step by step from the
 * last one with the surrogate derivative at fround(v_pre) − θ and the reset treated as a constant (SpikingJelly's
 * detach_reset).
 *
 * Layout: every array is float32, neuron-major within a step and step-major across steps (time folded into the
 * batch dimension, `[T·B, H, W, C]`); `inStep` is 0 when one current is repeated at every step (direct encoding
 * before the first neuron). With `pool` > 1 the spikes go straight into a non-overlapping pool×pool average
 * pooling of the `[B, H, W, C]` step map (the output is `[T·B, H/pool, W/pool, C]`).
 */
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);

/**
 * The loop nest over every neuron of one image (an `[H, W, C]` step map) in memory order, with `$o` the byte address
 * of its pooling window's output (`$base` + its offset in the `[H/p, W/p, C]` map) and no division: the rows and
 * columns run as (output index, index within the window) pairs. Locals it needs: NEST_LOCALS.
 */
function eachNeuron(base: string, body: string, lanes: 1 | 2 = 1): string {
  const loop = (label: string, v: string, bound: string, inner: string, by = 1) => `
    (local.set ${v} (i32.const 0))
    (loop ${label} ${inner}
      (br_if ${label} (i32.lt_u (local.tee ${v} (i32.add (local.get ${v}) (i32.const ${by}))) ${bound})))`;
  return `
    (local.set $Ho (i32.div_u (local.get $H) (local.get $p)))
    (local.set $Wo (i32.div_u (local.get $W) (local.get $p)))` +
    loop('$lyo', '$yo', '(local.get $Ho)', `
      (local.set $row (i32.add (local.get ${base}) (i32.shl (i32.mul (i32.mul (local.get $yo) (local.get $Wo)) (local.get $C))
        (i32.const 2))))` +
      loop('$lyi', '$yi', '(local.get $p)', loop('$lxo', '$xo', '(local.get $Wo)', `
        (local.set $ob (i32.add (local.get $row) (i32.shl (i32.mul (local.get $xo) (local.get $C)) (i32.const 2))))` +
        loop('$lxi', '$xi', '(local.get $p)', loop('$lc', '$ch', '(local.get $C)', `
          (local.set $o (i32.add (local.get $ob) (i32.shl (local.get $ch) (i32.const 2))))
          ${body}`, lanes)))));
}

const NEST_LOCALS = '(local $yo i32) (local $yi i32) (local $xo i32) (local $xi i32) (local $ch i32) (local $Ho i32) (local $Wo i32) (local $row i32) (local $ob i32) (local $o i32)';

/** Two neighbouring channels as float64 lanes: the float32 pair at `addr`, widened. */
const load2 = (addr: string) => `(f64x2.promote_low_f32x4 (v128.load64_zero ${addr}))`;
/** Stores the two float64 lanes of `value` as the float32 pair at `addr` (each lane rounded as f32.demote_f64 does). */
const store2 = (addr: string, value: string) => `(v128.store64_lane 0 ${addr} (f32x4.demote_f64x2_zero ${value}))`;
const ONE2 = '(v128.const f64x2 1 1)';
/** Moves each pointer past the neurons of one step of the loop: `bytes` per neuron, `lanes` neurons. */
const advance = (lanes: 1 | 2, bytes: Record<string, number>) => Object.entries(bytes)
  .map(([ptr, b]) => `(local.set ${ptr} (i32.add (local.get ${ptr}) (i32.const ${b * lanes})))`).join('\n            ');

/**
 * The body of the forward step for one neuron (`lanes` 1) or for two neighbouring channels at once (`lanes` 2,
 * float64x2: every lane computes exactly what the one-neuron body computes, the same IEEE operations in the same
 * order, so the two variants give the same bits).
 */
function forwardBody(lanes: 1 | 2): string {
  if (lanes === 1) return `
            (local.set $vi (f64.add (f64.mul (local.get $decay) (f64.promote_f32 (f32.load (local.get $v))))
              (f64.promote_f32 (f32.load (local.get $in)))))
            (local.set $fired (f64.ge (local.get $vi) (local.get $theta)))
            (local.set $s (f64.convert_i32_u (local.get $fired)))
            (if (local.get $out) (then
              (f32.store (local.get $o) (f32.demote_f64 (f64.add (f64.promote_f32 (f32.load (local.get $o)))
                (f64.mul (local.get $s) (local.get $inv)))))))
            (f32.store (local.get $v) (f32.demote_f64 (select
              (f64.sub (local.get $vi) (f64.mul (local.get $theta) (local.get $s)))
              (f64.mul (local.get $vi) (f64.sub (f64.const 1) (local.get $s)))
              (local.get $sub))))
            (if (local.get $pre) (then
              (f32.store (local.get $pre) (f32.demote_f64 (local.get $vi)))
              (i32.store8 (local.get $spk) (local.get $fired))
              ${advance(lanes, { $pre: 4, $spk: 1 })}))
            ${advance(lanes, { $in: 4, $v: 4 })}`;
  // The spike is the all-ones lane mask of v_pre ≥ θ; s = mask AND 1.0 is 1.0 or +0.0, as f64.convert_i32_u gives.
  return `
            (local.set $vi2 (f64x2.add (f64x2.mul (local.get $decay2) ${load2('(local.get $v)')}) ${load2('(local.get $in)')}))
            (local.set $m2 (f64x2.ge (local.get $vi2) (local.get $theta2)))
            (local.set $s2 (v128.and (local.get $m2) ${ONE2}))
            (if (local.get $out) (then
              ${store2('(local.get $o)', `(f64x2.add ${load2('(local.get $o)')} (f64x2.mul (local.get $s2) (local.get $inv2)))`)}))
            ${store2('(local.get $v)', `(select (result v128)
              (f64x2.sub (local.get $vi2) (f64x2.mul (local.get $theta2) (local.get $s2)))
              (f64x2.mul (local.get $vi2) (f64x2.sub ${ONE2} (local.get $s2)))
              (local.get $sub))`)}
            (if (local.get $pre) (then
              ${store2('(local.get $pre)', '(local.get $vi2)')}
              (i32.store8 (local.get $spk) (i32.wrap_i64 (i64.and (i64x2.extract_lane 0 (local.get $m2)) (i64.const 1))))
              (i32.store8 offset=1 (local.get $spk) (i32.wrap_i64 (i64.and (i64x2.extract_lane 1 (local.get $m2)) (i64.const 1))))
              ${advance(lanes, { $pre: 4, $spk: 1 })}))
            ${advance(lanes, { $in: 4, $v: 4 })}`;
}

/** One step of every neuron of one image, one neuron (`$step1`) or two channels (`$step2`) at a time. */
function stepFunc(lanes: 1 | 2): string {
  return `
  (func $step${lanes}
    (param $in i32) (param $v i32) (param $out i32) (param $pre i32) (param $spk i32)
    (param $H i32) (param $W i32) (param $C i32) (param $p i32)
    (param $decay f64) (param $theta f64) (param $inv f64) (param $sub i32)
    ${NEST_LOCALS} ${lanes === 1 ? '(local $vi f64) (local $fired i32) (local $s f64)' : `
    (local $vi2 v128) (local $m2 v128) (local $s2 v128) (local $decay2 v128) (local $theta2 v128) (local $inv2 v128)
    (local.set $decay2 (f64x2.splat (local.get $decay)))
    (local.set $theta2 (f64x2.splat (local.get $theta)))
    (local.set $inv2 (f64x2.splat (local.get $inv)))`}
    ${eachNeuron('$out', forwardBody(lanes), lanes)})`;
}

/** All T steps of one image (see `$run` in the module), with `$step1` or `$step2`. */
function runFunc(lanes: 1 | 2): string {
  return `
  (func $run${lanes}
    (param $in i32) (param $inStep i32) (param $out i32) (param $outStep i32) (param $v i32) (param $pre i32) (param $spk i32)
    (param $H i32) (param $W i32) (param $C i32) (param $p i32) (param $T i32)
    (param $decay f64) (param $theta f64) (param $inv f64) (param $sub i32)
    (local $t i32) (local $img i32)
    (local.set $img (i32.mul (i32.mul (local.get $H) (local.get $W)) (local.get $C)))
    (memory.fill (local.get $v) (i32.const 0) (i32.shl (local.get $img) (i32.const 2)))
    (loop $lt
      (call $step${lanes} (local.get $in) (local.get $v) (local.get $out) (local.get $pre) (local.get $spk)
        (local.get $H) (local.get $W) (local.get $C) (local.get $p)
        (local.get $decay) (local.get $theta) (local.get $inv) (local.get $sub))
      (local.set $in (i32.add (local.get $in) (local.get $inStep)))
      (if (local.get $out) (then (local.set $out (i32.add (local.get $out) (local.get $outStep)))))
      (if (local.get $pre) (then
        (local.set $pre (i32.add (local.get $pre) (i32.shl (local.get $img) (i32.const 2))))
        (local.set $spk (i32.add (local.get $spk) (local.get $img)))))
      (br_if $lt (i32.lt_u (local.tee $t (i32.add (local.get $t) (i32.const 1))) (local.get $T)))))`;
}

/** The forward pass over the images with `$run1` or `$run2`. */
function forwardLoop(lanes: 1 | 2): string {
  return `
    (loop $ln${lanes}
      (call $run${lanes} (i32.add (local.get $in) (i32.mul (local.get $n) (local.get $img4))) (local.get $inStep)
        (i32.add (local.get $out) (i32.mul (local.get $n) (local.get $out4))) (local.get $outStep)
        (local.get $v) (i32.const 0) (i32.const 0)
        (local.get $H) (local.get $W) (local.get $C) (local.get $p) (local.get $T)
        (local.get $decay) (local.get $theta) (local.get $inv) (local.get $sub))
      (br_if $ln${lanes} (i32.lt_u (local.tee $n (i32.add (local.get $n) (i32.const 1))) (local.get $N))))`;
}

/** The BPTT body for one neuron or two channels (same operations per lane, as in {@link forwardBody}). */
function backwardBody(lanes: 1 | 2): string {
  if (lanes === 1) return `
              (local.set $xv (f64.sub (f64.promote_f32 (f32.load (local.get $pp))) (local.get $theta)))
              (if (i32.eqz (local.get $kind))
                (then (local.set $d (f64.div (local.get $c1)
                  (f64.add (f64.const 1) (f64.mul (f64.mul (local.get $c2) (local.get $xv)) (local.get $xv))))))
                (else (if (i32.eq (local.get $kind) (i32.const 1))
                  (then
                    (local.set $a (f64.div (f64.const 1) (f64.add (f64.const 1)
                      (call $exp (f64.mul (f64.neg (local.get $alpha)) (local.get $xv))))))
                    (local.set $d (f64.mul (f64.mul (local.get $alpha) (local.get $a)) (f64.sub (f64.const 1) (local.get $a)))))
                  (else
                    (local.set $a (f64.sub (f64.const 1) (f64.mul (local.get $alpha) (f64.abs (local.get $xv)))))
                    (local.set $d (select (f64.mul (local.get $alpha) (local.get $a)) (f64.const 0)
                      (f64.gt (local.get $a) (f64.const 0))))))))
              ;; A reset to zero cuts the path through the potential (detach_reset); subtraction keeps it.
              (local.set $gv (f64.add
                (f64.mul (f64.mul (f64.promote_f32 (f32.load (local.get $o)))
                  (local.get $scale)) (local.get $d))
                (select (f64.load (local.get $gp)) (f64.const 0)
                  (i32.or (local.get $sub) (i32.eqz (i32.load8_u (local.get $sp)))))))
              (if (local.get $inStep)
                (then (f32.store (local.get $gi) (f32.demote_f64 (local.get $gv))))
                (else (f64.store (local.get $qp) (f64.add (f64.load (local.get $qp)) (local.get $gv)))))
              (f64.store (local.get $gp) (f64.mul (local.get $gv) (local.get $decay)))
              ${advance(lanes, { $pp: 4, $sp: 1, $gp: 8, $qp: 8, $gi: 4 })}`;
  // exp has no vector form: each lane calls it. A masked-off lane of the carried gradient is +0.0, as select's 0 is.
  return `
              (local.set $xv2 (f64x2.sub ${load2('(local.get $pp)')} (local.get $theta2)))
              (if (i32.eqz (local.get $kind))
                (then (local.set $d2 (f64x2.div (local.get $c12)
                  (f64x2.add ${ONE2} (f64x2.mul (f64x2.mul (local.get $c22) (local.get $xv2)) (local.get $xv2))))))
                (else (if (i32.eq (local.get $kind) (i32.const 1))
                  (then
                    (local.set $a2 (f64x2.mul (local.get $nalpha2) (local.get $xv2)))
                    (local.set $a2 (f64x2.replace_lane 0 (local.get $a2) (call $exp (f64x2.extract_lane 0 (local.get $a2)))))
                    (local.set $a2 (f64x2.replace_lane 1 (local.get $a2) (call $exp (f64x2.extract_lane 1 (local.get $a2)))))
                    (local.set $a2 (f64x2.div ${ONE2} (f64x2.add ${ONE2} (local.get $a2))))
                    (local.set $d2 (f64x2.mul (f64x2.mul (local.get $alpha2) (local.get $a2)) (f64x2.sub ${ONE2} (local.get $a2)))))
                  (else
                    (local.set $a2 (f64x2.sub ${ONE2} (f64x2.mul (local.get $alpha2) (f64x2.abs (local.get $xv2)))))
                    (local.set $d2 (v128.and (f64x2.mul (local.get $alpha2) (local.get $a2))
                      (f64x2.gt (local.get $a2) (v128.const f64x2 0 0))))))))
              (local.set $keep (v128.load (local.get $gp)))
              (if (i32.eqz (local.get $sub)) (then
                (local.set $keep (v128.and (local.get $keep) (i64x2.eq (v128.const i64x2 0 0)
                  (i64x2.replace_lane 1 (i64x2.splat (i64.load8_u (local.get $sp))) (i64.load8_u offset=1 (local.get $sp))))))))
              (local.set $gv2 (f64x2.add
                (f64x2.mul (f64x2.mul ${load2('(local.get $o)')} (local.get $scale2)) (local.get $d2))
                (local.get $keep)))
              (if (local.get $inStep)
                (then ${store2('(local.get $gi)', '(local.get $gv2)')})
                (else (v128.store (local.get $qp) (f64x2.add (v128.load (local.get $qp)) (local.get $gv2)))))
              (v128.store (local.get $gp) (f64x2.mul (local.get $gv2) (local.get $decay2)))
              ${advance(lanes, { $pp: 4, $sp: 1, $gp: 8, $qp: 8, $gi: 4 })}`;
}

/** The backward pass over the images with one neuron or two channels a lane step. */
function backwardLoop(lanes: 1 | 2): string {
  return `
    (loop $limage${lanes}
      (call $run${lanes} (i32.add (local.get $in) (i32.mul (local.get $image) (local.get $img4))) (local.get $inStep)
        (i32.const 0) (i32.const 0) (local.get $v) (local.get $pre) (local.get $spk)
        (i32.const 1) (i32.const 1) (local.get $img) (i32.const 1) (local.get $T)
        (local.get $decay) (local.get $theta) (f64.const 1) (local.get $sub))
      (memory.fill (local.get $gu) (i32.const 0) (i32.shl (local.get $img) (i32.const 3)))
      (memory.fill (local.get $sum) (i32.const 0) (i32.shl (local.get $img) (i32.const 3)))
      (local.set $t (local.get $T))
      (loop $lt${lanes}
        (local.set $t (i32.sub (local.get $t) (i32.const 1)))
        (local.set $dyt (i32.add (i32.add (local.get $dy) (i32.mul (local.get $image) (local.get $out4)))
          (i32.mul (local.get $t) (local.get $outStep))))
        (local.set $gi (i32.add (i32.add (local.get $gin) (i32.mul (local.get $image) (local.get $img4)))
          (i32.mul (local.get $t) (local.get $inStep))))
        (local.set $pp (i32.add (local.get $pre) (i32.mul (local.get $t) (local.get $img4))))
        (local.set $sp (i32.add (local.get $spk) (i32.mul (local.get $t) (local.get $img))))
        (local.set $gp (local.get $gu))
        (local.set $qp (local.get $sum))
        ${eachNeuron('$dyt', backwardBody(lanes), lanes)}
        (br_if $lt${lanes} (local.get $t)))
      ;; A current repeated at every step: its gradient is the sum over the steps.
      (if (i32.eqz (local.get $inStep)) (then
        (local.set $qp (local.get $sum))
        (local.set $gi (i32.add (local.get $gin) (i32.mul (local.get $image) (local.get $img4))))
        (local.set $k (i32.const 0))
        (loop $lq${lanes}
          (f32.store (local.get $gi) (f32.demote_f64 (f64.load (local.get $qp))))
          (local.set $qp (i32.add (local.get $qp) (i32.const 8)))
          (local.set $gi (i32.add (local.get $gi) (i32.const 4)))
          (br_if $lq${lanes} (i32.lt_u (local.tee $k (i32.add (local.get $k) (i32.const 1))) (local.get $img))))))
      (br_if $limage${lanes} (i32.lt_u (local.tee $image (i32.add (local.get $image) (i32.const 1))) (local.get $N))))`;
}

/**
 * The module. Maps whose channel count is even run two channels per float64x2 operation (WebAssembly's 128-bit
 * SIMD; pooled outputs, spikes and gradients of neighbouring channels are neighbours too); odd ones one neuron at a
 * time. Both give the same bits: a lane computes what the one-neuron code does.
 */
const WAT = String.raw`
(module
  (import "math" "exp" (func $exp (param f64) (result f64)))
  (memory (export "memory") 1)

  ;; $stepN: one step of every neuron of one image: v (float32, one per neuron) ← the potential after the reset;
  ;; out[o(i)] += s·inv unless $out is 0 (no region starts at address 0); with $pre ≠ 0 also keeps v_pre (float32)
  ;; and the spike (one byte) of each neuron at $pre and $spk.
  ${stepFunc(1)}
  ${stepFunc(2)}

  ;; $runN: all T steps of one image (one sample's [H, W, C] map), step by step: the neurons of a step are independent
  ;; (no chain of dependent float operations through one neuron's steps holds the processor up) and one image's
  ;; potentials, inputs and outputs stay in the cache across its steps. $v: one float32 per neuron, zeroed here.
  ;; With $pre ≠ 0, v_pre and the spikes of every step are kept there (step-major) for the backward pass.
  ${runFunc(1)}
  ${runFunc(2)}

  ;; out (zeroed by the caller) ← the pooled spikes of all T steps, image by image.
  (func (export "forward")
    (param $in i32) (param $inStep i32) (param $out i32) (param $outStep i32) (param $v i32)
    (param $N i32) (param $H i32) (param $W i32) (param $C i32) (param $p i32) (param $T i32)
    (param $decay f64) (param $theta f64) (param $inv f64) (param $sub i32)
    (local $n i32) (local $img4 i32) (local $out4 i32)
    (local.set $img4 (i32.shl (i32.mul (i32.mul (local.get $H) (local.get $W)) (local.get $C)) (i32.const 2)))
    (local.set $out4 (i32.div_u (local.get $img4) (i32.mul (local.get $p) (local.get $p))))
    (if (i32.and (local.get $C) (i32.const 1)) (then ${forwardLoop(1)}) (else ${forwardLoop(2)})))

  ;; gin = dL/dI from dy = dL/d(out), image by image. Each image's forward pass is replayed into $pre/$spk (no
  ;; output), then BPTT runs step by step from the last one with dL/du of each neuron in $gu and, for a current
  ;; repeated at every step ($inStep = 0), the gathered gradient in $sum (both float64, one per neuron of an image).
  ;; kind: 0 arctan (c1 = α/2, c2 = (π/2·α)²), 1 sigmoid, 2 triangle.
  (func (export "backward")
    (param $in i32) (param $inStep i32) (param $dy i32) (param $outStep i32) (param $gin i32)
    (param $v i32) (param $pre i32) (param $spk i32) (param $gu i32) (param $sum i32)
    (param $N i32) (param $H i32) (param $W i32) (param $C i32) (param $p i32) (param $T i32)
    (param $decay f64) (param $theta f64) (param $scale f64) (param $sub i32)
    (param $kind i32) (param $alpha f64) (param $c1 f64) (param $c2 f64)
    ${NEST_LOCALS} (local $k i32) (local $img i32) (local $img4 i32) (local $out4 i32) (local $image i32) (local $t i32)
    (local $dyt i32) (local $pp i32) (local $sp i32) (local $gp i32) (local $qp i32)
    (local $gi i32) (local $xv f64) (local $d f64) (local $a f64) (local $gv f64)
    (local $xv2 v128) (local $d2 v128) (local $a2 v128) (local $gv2 v128) (local $keep v128)
    (local $theta2 v128) (local $c12 v128) (local $c22 v128) (local $alpha2 v128) (local $nalpha2 v128) (local $scale2 v128) (local $decay2 v128)
    (local.set $theta2 (f64x2.splat (local.get $theta)))
    (local.set $c12 (f64x2.splat (local.get $c1)))
    (local.set $c22 (f64x2.splat (local.get $c2)))
    (local.set $alpha2 (f64x2.splat (local.get $alpha)))
    (local.set $nalpha2 (f64x2.splat (f64.neg (local.get $alpha))))
    (local.set $scale2 (f64x2.splat (local.get $scale)))
    (local.set $decay2 (f64x2.splat (local.get $decay)))
    (local.set $img (i32.mul (i32.mul (local.get $H) (local.get $W)) (local.get $C)))
    (local.set $img4 (i32.shl (local.get $img) (i32.const 2)))
    (local.set $out4 (i32.div_u (local.get $img4) (i32.mul (local.get $p) (local.get $p))))
    (if (i32.and (local.get $C) (i32.const 1)) (then ${backwardLoop(1)}) (else ${backwardLoop(2)})))
)`;

interface Exports {
  memory: WebAssembly.Memory;
  forward(
    inp: number, inStep: number, out: number, outStep: number, v: number, n: number, h: number, w: number, c: number,
    pool: number, T: number, decay: number, theta: number, inv: number, sub: number,
  ): void;
  backward(
    inp: number, inStep: number, dy: number, outStep: number, gin: number, v: number, pre: number, spk: number,
    gu: number, sum: number, n: number, h: number, w: number, c: number, pool: number, T: number, decay: number,
    theta: number, scale: number, sub: number, kind: number, alpha: number, c1: number, c2: number,
  ): void;
}

let kernel: Exports | undefined;

/** Assembles and instantiates the module (once per process; about 40 ms). */
export async function loadNeuronKernel(): Promise<void> {
  if (kernel) return;
  const wabtFactory = require('wabt') as () => Promise<{ parseWat(name: string, text: string): { toBinary(o: object): { buffer: Uint8Array<ArrayBuffer> }; destroy(): void } }>;
  const wabt = await wabtFactory();
  const parsed = wabt.parseWat('neuron.wat', WAT);
  const { buffer } = parsed.toBinary({});
  parsed.destroy();
  const instance = new WebAssembly.Instance(new WebAssembly.Module(buffer), { math: { exp: Math.exp } });
  kernel = instance.exports as unknown as Exports;
}

/** A step map's shape for the kernel: `[N, H, W, C]` (unpooled maps may pass each sample's neurons as `[N, 1, 1, C]`). */
export interface NeuronGeometry { n: number; h: number; w: number; c: number; pool: number; timesteps: number; perStep: number; outPerStep: number }

export interface NeuronParams { decay: number; theta: number; subtract: boolean }

const ALIGN = 64;
const align = (x: number) => Math.ceil(x / ALIGN) * ALIGN;

/** Byte offsets of regions of `bytes` each, laid out one after another from address 64 (0 means "none"), the memory grown to hold them. */
function layout(k: Exports, bytes: number[]): number[] {
  const offsets: number[] = [];
  let at = ALIGN;
  for (const b of bytes) { offsets.push(at); at += align(b); }
  const have = k.memory.buffer.byteLength;
  if (at > have) k.memory.grow(Math.ceil((at - have) / 65536));
  return offsets;
}

function ready(): Exports {
  if (!kernel) throw new Error('the neuron kernel is not loaded: call initTrainingBackend() first');
  return kernel;
}

/** Forward over all steps: returns a view of the kernel's memory (valid until its next call). */
export function neuronForwardKernel(input: Float32Array, repeated: boolean, g: NeuronGeometry, p: NeuronParams): Float32Array {
  const k = ready();
  const outLen = g.outPerStep * g.timesteps;
  const image = g.perStep / g.n;
  const [inAt, outAt, vAt] = layout(k, [4 * input.length, 4 * outLen, 4 * image]);
  const heap = new Float32Array(k.memory.buffer);
  heap.set(input, inAt / 4);
  const out = heap.subarray(outAt / 4, outAt / 4 + outLen);
  out.fill(0);
  k.forward(inAt, repeated ? 0 : 4 * g.perStep, outAt, 4 * g.outPerStep, vAt, g.n, g.h, g.w, g.c, g.pool, g.timesteps,
    p.decay, p.theta, 1 / (g.pool * g.pool), p.subtract ? 1 : 0);
  return out;
}

/** Gradient with respect to the input current: returns a view of the kernel's memory (valid until its next call). */
export function neuronBackwardKernel(
  input: Float32Array, repeated: boolean, dy: Float32Array, g: NeuronGeometry, p: NeuronParams,
  surrogate: 0 | 1 | 2, alpha: number,
): Float32Array {
  const k = ready();
  // Per-image scratch: one sample's potentials, replayed steps and gradients through time stay in the cache.
  const image = g.perStep / g.n;
  const [inAt, dyAt, gAt, vAt, preAt, spkAt, guAt, sumAt] = layout(k, [
    4 * input.length, 4 * dy.length, 4 * input.length, 4 * image, 4 * image * g.timesteps, image * g.timesteps, 8 * image, 8 * image,
  ]);
  const heap = new Float32Array(k.memory.buffer);
  heap.set(input, inAt / 4);
  heap.set(dy, dyAt / 4);
  k.backward(inAt, repeated ? 0 : 4 * g.perStep, dyAt, 4 * g.outPerStep, gAt, vAt, preAt, spkAt, guAt, sumAt,
    g.n, g.h, g.w, g.c, g.pool, g.timesteps, p.decay, p.theta, 1 / (g.pool * g.pool), p.subtract ? 1 : 0,
    surrogate, alpha, alpha / 2, ((Math.PI / 2) * alpha) ** 2);
  return heap.subarray(gAt / 4, gAt / 4 + input.length);
}
