/*
 * A stand-in bcryptprimitives.dll for running the Windows build of
 * glasshttp under Wine 8.0 (Debian 12's), in tests only.
 *
 * Why it exists: Rust's std on Windows gets its random numbers (the seeds
 * of HashMap) from ProcessPrng in bcryptprimitives.dll, which Windows 10
 * and later have and Wine 8.0 lacks, so the .exe would not start. This DLL,
 * placed beside the .exe, exports ProcessPrng over advapi32's
 * SystemFunction036 (RtlGenRandom), which Wine has. It is never shipped and
 * never needed on a real Windows machine.
 */
#include <windows.h>

BOOLEAN WINAPI SystemFunction036(PVOID buffer, ULONG length);

BOOL WINAPI ProcessPrng(PBYTE data, SIZE_T length)
{
    while (length > 0) {
        ULONG chunk = length > 0x40000000 ? 0x40000000 : (ULONG)length;
        if (!SystemFunction036(data, chunk))
            return FALSE;
        data += chunk;
        length -= chunk;
    }
    return TRUE;
}
