;; Row scanner for the CSV splitter, 16 bytes per step with WebAssembly SIMD.
;; Compiled by scripts/build-wasm.js into rowScanner.wasm.ts (base64); rowScanner.ts
;; explains the contract and holds the pure-JS reference it must agree with.
;;
;; Memory layout:
;;   [0, 16)   results of the last scan call, four i32 (see $scan)
;;   [64, ...) the input window, followed by 64 zero bytes: the last block is loaded
;;             whole, and zeros are neither LF, CR nor quote, so no masking is needed.
;;
;; The scan goes 64 bytes per step: four 16-byte compares per byte value, their bit
;; masks joined into one i64, where bit k is about byte p + k. Everything is computed
;; without branches except the rare cases (empty-line candidates, the limit), so the
;; CPU does not mispredict on where rows and quotes happen to fall.
(module
	(memory (export "memory") 1)

	;; Bit k is set when byte p + k (of the 64 loaded at $p) equals $byte. Bit k of the
	;; prefix XOR of the quote mask (below) is the XOR of bits 0..k: a set bit means
	;; "inside quotes after this byte", so an LF there is part of a value.
	(func $mask64 (param $p i32) (param $byte i32) (result i64)
		(local $splat v128)
		(local.set $splat (i8x16.splat (local.get $byte)))
		(i64.or
			(i64.or
				(i64.extend_i32_u (i8x16.bitmask (i8x16.eq (v128.load offset=64 (local.get $p)) (local.get $splat))))
				(i64.shl
					(i64.extend_i32_u (i8x16.bitmask (i8x16.eq (v128.load offset=80 (local.get $p)) (local.get $splat))))
					(i64.const 16)))
			(i64.or
				(i64.shl
					(i64.extend_i32_u (i8x16.bitmask (i8x16.eq (v128.load offset=96 (local.get $p)) (local.get $splat))))
					(i64.const 32))
				(i64.shl
					(i64.extend_i32_u (i8x16.bitmask (i8x16.eq (v128.load offset=112 (local.get $p)) (local.get $splat))))
					(i64.const 48)))))

	;; Scans window bytes [$from, $len) for row ends (LF outside double quotes) and stops
	;; just after the first row end at an index >= $limit (the "overflow" row, not counted).
	;;
	;; $flags in: bit 0 inside quotes at $from; bit 1 a row ended just before $from
	;; (at $from - 1); bit 2 a row ended at $from - 2; bit 3 the byte at $from - 1 is CR.
	;; Bits 1-3 let an empty line (LF, or CR LF, right after a row end) be recognised
	;; across calls.
	;;
	;; Returns the index where the scan stopped ($len, or just after the overflow row end).
	;; Writes at memory 0: i32 data rows counted (empty lines excluded), i32 index just
	;; after the last counted row end (-1 when none), i32 index just after the overflow
	;; row end (-1 when none), i32 flags out: bit 0 inside quotes where it stopped,
	;; bit 1 the overflow row is an empty line.
	(func (export "scan") (param $from i32) (param $len i32) (param $limit i32) (param $flags i32) (result i32)
		(local $p i32)
		(local $inQuotes i64)   ;; 0 or -1 (all bits), so it can flip a whole mask
		(local $quote i64)
		(local $inside i64)
		(local $ends i64)       ;; row ends in this block
		(local $prevEnds i64)   ;; row ends of the previous block (bits 62, 63 are used)
		(local $endBefore i64)  ;; bit k: a row ended at byte p + k - 1
		(local $endTwoBefore i64) ;; bit k: a row ended at byte p + k - 2
		(local $crBefore i64)   ;; bit k: byte p + k - 1 is CR
		(local $empty i64)      ;; row ends in this block that close an empty line
		(local $over i64)
		(local $first i32)
		(local $rows i32)
		(local $lastEnd i32)
		(local $v0 v128)
		(local $v1 v128)
		(local $v2 v128)
		(local $v3 v128)
		(local $x i64)

		(local.set $p (local.get $from))
		(local.set $inQuotes (i64.sub (i64.const 0) (i64.extend_i32_u (i32.and (local.get $flags) (i32.const 1)))))
		(local.set $prevEnds
			(i64.or
				(i64.shl (i64.extend_i32_u (i32.and (i32.shr_u (local.get $flags) (i32.const 1)) (i32.const 1))) (i64.const 63))
				(i64.shl (i64.extend_i32_u (i32.and (i32.shr_u (local.get $flags) (i32.const 2)) (i32.const 1))) (i64.const 62))))
		(local.set $lastEnd (i32.const -1))

		(block $done
			(loop $blocks
				(br_if $done (i32.ge_s (local.get $p) (local.get $len)))
				;; The hot path, written out in place (the engine may not inline calls): each
				;; 16-byte piece is loaded once and compared with both quote and LF.
				(local.set $v0 (v128.load offset=64 (local.get $p)))
				(local.set $v1 (v128.load offset=80 (local.get $p)))
				(local.set $v2 (v128.load offset=96 (local.get $p)))
				(local.set $v3 (v128.load offset=112 (local.get $p)))
				(local.set $quote
					(i64.or
						(i64.or
							(i64.extend_i32_u (i8x16.bitmask (i8x16.eq (local.get $v0) (v128.const i8x16 0x22 0x22 0x22 0x22 0x22 0x22 0x22 0x22 0x22 0x22 0x22 0x22 0x22 0x22 0x22 0x22))))
							(i64.shl (i64.extend_i32_u (i8x16.bitmask (i8x16.eq (local.get $v1) (v128.const i8x16 0x22 0x22 0x22 0x22 0x22 0x22 0x22 0x22 0x22 0x22 0x22 0x22 0x22 0x22 0x22 0x22)))) (i64.const 16)))
						(i64.or
							(i64.shl (i64.extend_i32_u (i8x16.bitmask (i8x16.eq (local.get $v2) (v128.const i8x16 0x22 0x22 0x22 0x22 0x22 0x22 0x22 0x22 0x22 0x22 0x22 0x22 0x22 0x22 0x22 0x22)))) (i64.const 32))
							(i64.shl (i64.extend_i32_u (i8x16.bitmask (i8x16.eq (local.get $v3) (v128.const i8x16 0x22 0x22 0x22 0x22 0x22 0x22 0x22 0x22 0x22 0x22 0x22 0x22 0x22 0x22 0x22 0x22)))) (i64.const 48)))))
				(local.set $ends
					(i64.or
						(i64.or
							(i64.extend_i32_u (i8x16.bitmask (i8x16.eq (local.get $v0) (v128.const i8x16 0x0a 0x0a 0x0a 0x0a 0x0a 0x0a 0x0a 0x0a 0x0a 0x0a 0x0a 0x0a 0x0a 0x0a 0x0a 0x0a))))
							(i64.shl (i64.extend_i32_u (i8x16.bitmask (i8x16.eq (local.get $v1) (v128.const i8x16 0x0a 0x0a 0x0a 0x0a 0x0a 0x0a 0x0a 0x0a 0x0a 0x0a 0x0a 0x0a 0x0a 0x0a 0x0a 0x0a)))) (i64.const 16)))
						(i64.or
							(i64.shl (i64.extend_i32_u (i8x16.bitmask (i8x16.eq (local.get $v2) (v128.const i8x16 0x0a 0x0a 0x0a 0x0a 0x0a 0x0a 0x0a 0x0a 0x0a 0x0a 0x0a 0x0a 0x0a 0x0a 0x0a 0x0a)))) (i64.const 32))
							(i64.shl (i64.extend_i32_u (i8x16.bitmask (i8x16.eq (local.get $v3) (v128.const i8x16 0x0a 0x0a 0x0a 0x0a 0x0a 0x0a 0x0a 0x0a 0x0a 0x0a 0x0a 0x0a 0x0a 0x0a 0x0a 0x0a)))) (i64.const 48)))))
				;; prefix XOR of the quote mask, then flipped when the block starts inside quotes
				(local.set $x (i64.xor (local.get $quote) (i64.shl (local.get $quote) (i64.const 1))))
				(local.set $x (i64.xor (local.get $x) (i64.shl (local.get $x) (i64.const 2))))
				(local.set $x (i64.xor (local.get $x) (i64.shl (local.get $x) (i64.const 4))))
				(local.set $x (i64.xor (local.get $x) (i64.shl (local.get $x) (i64.const 8))))
				(local.set $x (i64.xor (local.get $x) (i64.shl (local.get $x) (i64.const 16))))
				(local.set $x (i64.xor (local.get $x) (i64.shl (local.get $x) (i64.const 32))))
				(local.set $inside (i64.xor (local.get $x) (local.get $inQuotes)))
				;; the quote state after the block is the state after its last byte
				(local.set $inQuotes (i64.shr_s (local.get $inside) (i64.const 63)))
				(local.set $ends (i64.and (local.get $ends) (i64.xor (local.get $inside) (i64.const -1))))

				;; An empty line ends at byte k when a row ended at k - 1, or when byte k - 1
				;; is CR and a row ended at k - 2. Both need a row end one or two bytes
				;; before; rows that short are rare, so the CR mask is only made then.
				(local.set $empty (i64.const 0))
				(local.set $endBefore
					(i64.or (i64.shl (local.get $ends) (i64.const 1)) (i64.shr_u (local.get $prevEnds) (i64.const 63))))
				(local.set $endTwoBefore
					(i64.or (i64.shl (local.get $ends) (i64.const 2)) (i64.shr_u (local.get $prevEnds) (i64.const 62))))
				(if (i64.ne (i64.and (local.get $ends) (i64.or (local.get $endBefore) (local.get $endTwoBefore))) (i64.const 0))
					(then
						;; A CR right before an LF outside quotes is outside quotes too: the raw mask will do.
						(local.set $crBefore
							(i64.or
								(i64.shl (call $mask64 (local.get $p) (i32.const 0x0d)) (i64.const 1))
								(i64.extend_i32_u
									(if (result i32) (i32.eq (local.get $p) (local.get $from))
										(then (i32.and (i32.shr_u (local.get $flags) (i32.const 3)) (i32.const 1)))
										(else (i32.eq (i32.load8_u offset=63 (local.get $p)) (i32.const 0x0d)))))))
						(local.set $empty
							(i64.and
								(local.get $ends)
								(i64.or
									(local.get $endBefore)
									(i64.and (local.get $crBefore) (local.get $endTwoBefore)))))))

				;; Row ends at or past the limit: the first of them is the overflow row.
				(if (i32.gt_s (i32.add (local.get $p) (i32.const 64)) (local.get $limit))
					(then
						(local.set $over
							(i64.and
								(local.get $ends)
								(i64.xor
									(if (result i64) (i32.gt_s (local.get $limit) (local.get $p))
										(then
											(i64.sub
												(i64.shl (i64.const 1) (i64.extend_i32_u (i32.sub (local.get $limit) (local.get $p))))
												(i64.const 1)))
										(else (i64.const 0)))
									(i64.const -1))))
						(if (i64.ne (local.get $over) (i64.const 0))
							(then
								(local.set $first (i32.wrap_i64 (i64.ctz (local.get $over))))
								(local.set $ends
									(i64.and
										(local.get $ends)
										(i64.sub (i64.shl (i64.const 1) (i64.extend_i32_u (local.get $first))) (i64.const 1))))
								(local.set $rows
									(i32.add
										(local.get $rows)
										(i32.wrap_i64
											(i64.sub
												(i64.popcnt (local.get $ends))
												(i64.popcnt (i64.and (local.get $empty) (local.get $ends)))))))
								(if (i64.ne (local.get $ends) (i64.const 0))
									(then
										(local.set $lastEnd
											(i32.sub
												(i32.add (local.get $p) (i32.const 64))
												(i32.wrap_i64 (i64.clz (local.get $ends)))))))
								(i32.store offset=0 (i32.const 0) (local.get $rows))
								(i32.store offset=4 (i32.const 0) (local.get $lastEnd))
								(i32.store offset=8 (i32.const 0) (i32.add (i32.add (local.get $p) (local.get $first)) (i32.const 1)))
								(i32.store offset=12 (i32.const 0)
									(i32.shl
										(i32.wrap_i64 (i64.and (i64.shr_u (local.get $empty) (i64.extend_i32_u (local.get $first))) (i64.const 1)))
										(i32.const 1)))
								(return (i32.add (i32.add (local.get $p) (local.get $first)) (i32.const 1)))))))

				(local.set $rows
					(i32.add
						(local.get $rows)
						(i32.wrap_i64 (i64.sub (i64.popcnt (local.get $ends)) (i64.popcnt (local.get $empty))))))
				;; just after the highest row end, p + (63 - clz) + 1, when the block has one
				(local.set $lastEnd
					(select
						(i32.sub (i32.add (local.get $p) (i32.const 64)) (i32.wrap_i64 (i64.clz (local.get $ends))))
						(local.get $lastEnd)
						(i64.ne (local.get $ends) (i64.const 0))))
				(local.set $prevEnds (local.get $ends))
				(local.set $p (i32.add (local.get $p) (i32.const 64)))
				(br $blocks)))

		(i32.store offset=0 (i32.const 0) (local.get $rows))
		(i32.store offset=4 (i32.const 0) (local.get $lastEnd))
		(i32.store offset=8 (i32.const 0) (i32.const -1))
		(i32.store offset=12 (i32.const 0) (i32.wrap_i64 (i64.and (local.get $inQuotes) (i64.const 1))))
		(local.get $len))
)
