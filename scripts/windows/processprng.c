/*
 * TEST SHIM, never shipped: a bcryptprimitives.dll for Wine 8.0, which lacks
 * ProcessPrng. Go 1.26's runtime calls ProcessPrng for its random numbers and
 * cannot start without it; real Windows (8 and later) has it. This DLL goes
 * only into the throwaway Wine prefix of scripts/test-windows.sh and answers
 * with RtlGenRandom (SystemFunction036 in advapi32), which Wine implements.
 *
 * x86_64-w64-mingw32-gcc -shared -O2 -s -o bcryptprimitives.dll processprng.c -ladvapi32
 */
#include <windows.h>

BOOLEAN WINAPI SystemFunction036(PVOID buffer, ULONG length);

/* ProcessPrng fills data with len random bytes; it always returns TRUE. */
__declspec(dllexport) BOOL WINAPI ProcessPrng(PBYTE data, SIZE_T len)
{
	while (len > 0) {
		ULONG n = len > 0x40000000 ? 0x40000000 : (ULONG)len;
		if (!SystemFunction036(data, n))
			return FALSE;
		data += n;
		len -= n;
	}
	return TRUE;
}
