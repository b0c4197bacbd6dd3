#include "textflag.h"

// An entry is four lanes, 32 bytes. Row i of a batch starts 32*i(i+1)/2
// bytes in; row i+1 starts 32*(i+1) bytes after row i.
//
// Registers of factorAsm:
//	SI   row j (the column's pivot row)     R12  d
//	R13  j                                  DI   i, the row being updated
//	R11  row i; BX, CX, DX rows i+1..i+3    R8   row i+4
//	R9   byte offset of entry l             R10  loop count
//	Y13  lanes still ok (all ones)          Y14  1.0    Y12  +Inf
//	Y15  1/L_jj

// func factorAsm(a *float64, d int) (okMask int)
TEXT ·factorAsm(SB), NOSPLIT, $0-24
	MOVQ a+0(FP), SI
	MOVQ d+8(FP), R12
	VPCMPEQQ Y13, Y13, Y13
	MOVQ     $0x3FF0000000000000, AX
	MOVQ     AX, X14
	VBROADCASTSD X14, Y14
	MOVQ     $0x7FF0000000000000, AX
	MOVQ     AX, X12
	VBROADCASTSD X12, Y12
	XORQ     R13, R13

column:
	// Row j itself first (its pivot), then rows j+1..d, four at a time
	// while four remain, then one at a time.
	MOVQ SI, R11
	MOVQ R13, DI

onerow:
	CMPQ DI, R12
	JGT  nextcolumn
	// Entries l < j of row i against row j, entry l into Y(l mod 4)
	// (row j against itself for the pivot).
	VXORPD Y0, Y0, Y0
	VXORPD Y1, Y1, Y1
	VXORPD Y2, Y2, Y2
	VXORPD Y3, Y3, Y3
	XORQ   R9, R9
	MOVQ   R13, R10
	SHRQ   $2, R10
	JZ     rowtail
rowloop:
	VMOVUPD     (SI)(R9*1), Y8
	VMOVUPD     32(SI)(R9*1), Y9
	VMOVUPD     64(SI)(R9*1), Y10
	VMOVUPD     96(SI)(R9*1), Y11
	VFMADD231PD (R11)(R9*1), Y8, Y0
	VFMADD231PD 32(R11)(R9*1), Y9, Y1
	VFMADD231PD 64(R11)(R9*1), Y10, Y2
	VFMADD231PD 96(R11)(R9*1), Y11, Y3
	ADDQ        $128, R9
	DECQ        R10
	JNZ         rowloop
rowtail:
	MOVQ R13, AX
	ANDQ $3, AX
	JZ   rowdone
	VMOVUPD     (SI)(R9*1), Y8
	VFMADD231PD (R11)(R9*1), Y8, Y0
	ADDQ        $32, R9
	CMPQ        AX, $1
	JE          rowdone
	VMOVUPD     (SI)(R9*1), Y8
	VFMADD231PD (R11)(R9*1), Y8, Y1
	ADDQ        $32, R9
	CMPQ        AX, $2
	JE          rowdone
	VMOVUPD     (SI)(R9*1), Y8
	VFMADD231PD (R11)(R9*1), Y8, Y2
	ADDQ        $32, R9
rowdone:
	VADDPD Y1, Y0, Y0
	VADDPD Y3, Y2, Y2
	VADDPD Y2, Y0, Y0
	VMOVUPD (R11)(R9*1), Y4
	VSUBPD  Y0, Y4, Y4
	CMPQ    DI, R13
	JNE     offdiagonal

	// The pivot v = S_jj - sum L_jl^2; lanes with v not in (0, +Inf)
	// fail and take v = 1; L_jj = sqrt(v), Y15 = 1/L_jj.
	VXORPD    Y5, Y5, Y5
	VCMPPD    $0x1E, Y5, Y4, Y6
	VCMPPD    $0x11, Y12, Y4, Y7
	VANDPD    Y7, Y6, Y6
	VANDPD    Y6, Y13, Y13
	VBLENDVPD Y6, Y4, Y14, Y4
	VSQRTPD   Y4, Y4
	VMOVUPD   Y4, (R11)(R9*1)
	VDIVPD    Y4, Y14, Y15
	INCQ      DI
	MOVQ      DI, AX
	SHLQ      $5, AX
	ADDQ      AX, R11
	JMP       fourrows

offdiagonal:
	VMULPD  Y15, Y4, Y4
	VMOVUPD Y4, (R11)(R9*1)
	INCQ    DI
	MOVQ    DI, AX
	SHLQ    $5, AX
	ADDQ    AX, R11
	JMP     onerow

fourrows:
	MOVQ DI, AX
	ADDQ $3, AX
	CMPQ AX, R12
	JGT  onerow
	MOVQ DI, AX
	INCQ AX
	SHLQ $5, AX
	LEAQ (R11)(AX*1), BX
	ADDQ $32, AX
	LEAQ (BX)(AX*1), CX
	ADDQ $32, AX
	LEAQ (CX)(AX*1), DX
	ADDQ $32, AX
	LEAQ (DX)(AX*1), R8

	// Entries l < j of rows i..i+3 against row j: row r into Y(2r) and
	// Y(2r+1), entry l into the second when l is odd.
	VXORPD Y0, Y0, Y0
	VXORPD Y1, Y1, Y1
	VXORPD Y2, Y2, Y2
	VXORPD Y3, Y3, Y3
	VXORPD Y4, Y4, Y4
	VXORPD Y5, Y5, Y5
	VXORPD Y6, Y6, Y6
	VXORPD Y7, Y7, Y7
	XORQ   R9, R9
	MOVQ   R13, R10
	SHRQ   $1, R10
	JZ     fourtail

fourloop:
	VMOVUPD     (SI)(R9*1), Y8
	VMOVUPD     32(SI)(R9*1), Y9
	VFMADD231PD (R11)(R9*1), Y8, Y0
	VFMADD231PD 32(R11)(R9*1), Y9, Y1
	VFMADD231PD (BX)(R9*1), Y8, Y2
	VFMADD231PD 32(BX)(R9*1), Y9, Y3
	VFMADD231PD (CX)(R9*1), Y8, Y4
	VFMADD231PD 32(CX)(R9*1), Y9, Y5
	VFMADD231PD (DX)(R9*1), Y8, Y6
	VFMADD231PD 32(DX)(R9*1), Y9, Y7
	ADDQ        $64, R9
	DECQ        R10
	JNZ         fourloop

fourtail:
	TESTQ $1, R13
	JZ    fourdone
	VMOVUPD     (SI)(R9*1), Y8
	VFMADD231PD (R11)(R9*1), Y8, Y0
	VFMADD231PD (BX)(R9*1), Y8, Y2
	VFMADD231PD (CX)(R9*1), Y8, Y4
	VFMADD231PD (DX)(R9*1), Y8, Y6
	ADDQ        $32, R9

fourdone:
	VADDPD  Y1, Y0, Y0
	VADDPD  Y3, Y2, Y2
	VADDPD  Y5, Y4, Y4
	VADDPD  Y7, Y6, Y6
	VMOVUPD (R11)(R9*1), Y8
	VMOVUPD (BX)(R9*1), Y9
	VMOVUPD (CX)(R9*1), Y10
	VMOVUPD (DX)(R9*1), Y11
	VSUBPD  Y0, Y8, Y8
	VSUBPD  Y2, Y9, Y9
	VSUBPD  Y4, Y10, Y10
	VSUBPD  Y6, Y11, Y11
	VMULPD  Y15, Y8, Y8
	VMULPD  Y15, Y9, Y9
	VMULPD  Y15, Y10, Y10
	VMULPD  Y15, Y11, Y11
	VMOVUPD Y8, (R11)(R9*1)
	VMOVUPD Y9, (BX)(R9*1)
	VMOVUPD Y10, (CX)(R9*1)
	VMOVUPD Y11, (DX)(R9*1)
	MOVQ    R8, R11
	ADDQ    $4, DI
	JMP     fourrows

nextcolumn:
	INCQ R13
	MOVQ R13, AX
	SHLQ $5, AX
	ADDQ AX, SI
	CMPQ R13, R12
	JLT  column

	VMOVMSKPD Y13, AX
	MOVQ      AX, okMask+16(FP)
	VZEROUPPER
	RET

// func addBroadcastAsm(dst, x, y *float64, n int)
// dst[4e+k] = x[e] + y[4e+k] for e < n, n > 0.
TEXT ·addBroadcastAsm(SB), NOSPLIT, $0-32
	MOVQ dst+0(FP), DI
	MOVQ x+8(FP), SI
	MOVQ y+16(FP), DX
	MOVQ n+24(FP), CX

addloop:
	VBROADCASTSD (SI), Y0
	VADDPD       (DX), Y0, Y0
	VMOVUPD      Y0, (DI)
	ADDQ         $8, SI
	ADDQ         $32, DX
	ADDQ         $32, DI
	DECQ         CX
	JNZ          addloop
	VZEROUPPER
	RET
