import static sun.security.pkcs11.wrapper.PKCS11Constants.*;

import java.util.HashSet;
import java.util.Set;
import sun.security.pkcs11.wrapper.CK_ATTRIBUTE;
import sun.security.pkcs11.wrapper.CK_C_INITIALIZE_ARGS;
import sun.security.pkcs11.wrapper.CK_MECHANISM;
import sun.security.pkcs11.wrapper.PKCS11;
import sun.security.pkcs11.wrapper.PKCS11Exception;

/**
 * Which key-wrapping mechanisms a PKCS#11 module runs for moving a secret key from one token to
 * another, tried below the JCE: through the JDK's internal PKCS#11 wrapper (what SunPKCS11 calls),
 * so a mechanism that SunPKCS11 does not expose as a JCE name still shows. Every key is a session
 * object: nothing stays on the tokens. docs/encryption-card.md, "Key ceremony on a token", gives the
 * results for SoftHSM2; run it against your HSM's module:
 *
 * <pre>
 * MICROCERT_PROBE_PIN=... java --add-modules jdk.crypto.cryptoki \
 *     --add-exports jdk.crypto.cryptoki/sun.security.pkcs11.wrapper=ALL-UNNAMED \
 *     ops/diagnostics/Pkcs11WrapProbe.java LIBRARY SOURCE_SLOT TARGET_SLOT
 * </pre>
 *
 * Both tokens take the user PIN from {@code MICROCERT_PROBE_PIN}. Not part of MicroCert: the product
 * uses only the public SunPKCS11 API, which offers none of these wraps (see the doc).
 */
public final class Pkcs11WrapProbe {

    private static final long CKM_AES_KEY_WRAP = 0x2109L;     // PKCS#11 v2.40; not in JDK 17's constants
    private static final long CKM_AES_KEY_WRAP_PAD = 0x210AL;

    public static void main(String[] args) throws Exception {
        String pin = System.getenv("MICROCERT_PROBE_PIN");
        if (args.length != 3 || pin == null || pin.isEmpty()) {
            System.err.println("usage: MICROCERT_PROBE_PIN=... java ... Pkcs11WrapProbe.java LIBRARY SOURCE_SLOT TARGET_SLOT");
            System.exit(2);
        }
        long source = Long.parseLong(args[1]);
        long target = Long.parseLong(args[2]);
        CK_C_INITIALIZE_ARGS init = new CK_C_INITIALIZE_ARGS();
        init.flags = CKF_OS_LOCKING_OK;
        PKCS11 p = PKCS11.getInstance(args[0], "C_GetFunctionList", init, false);
        Set<Long> mechanisms = new HashSet<>();
        for (long m : p.C_GetMechanismList(source)) {
            mechanisms.add(m);
        }
        System.out.println("module lists: CKM_AES_KEY_WRAP " + mechanisms.contains(CKM_AES_KEY_WRAP)
                + ", CKM_AES_KEY_WRAP_PAD " + mechanisms.contains(CKM_AES_KEY_WRAP_PAD)
                + ", CKM_RSA_PKCS_OAEP " + mechanisms.contains(CKM_RSA_PKCS_OAEP)
                + ", CKM_RSA_PKCS " + mechanisms.contains(CKM_RSA_PKCS)
                + ", CKM_AES_CMAC " + mechanisms.contains(CKM_AES_CMAC));
        long a = p.C_OpenSession(source, CKF_SERIAL_SESSION | CKF_RW_SESSION, null, null);
        long b = p.C_OpenSession(target, CKF_SERIAL_SESSION | CKF_RW_SESSION, null, null);
        p.C_Login(a, CKU_USER, pin.toCharArray());
        if (source != target) {
            p.C_Login(b, CKU_USER, pin.toCharArray());
        }
        long extractable = aesKey(p, a, true, false);
        long nonExtractable = aesKey(p, a, false, false);
        long trustedOnly = aesKey(p, a, true, true);

        // RSA: a key pair made in the target token, its public half given to the source token
        long[] pair = p.C_GenerateKeyPair(b, new CK_MECHANISM(CKM_RSA_PKCS_KEY_PAIR_GEN), new CK_ATTRIBUTE[] {
                new CK_ATTRIBUTE(CKA_MODULUS_BITS, 3072L), new CK_ATTRIBUTE(CKA_PUBLIC_EXPONENT, new byte[] {1, 0, 1}),
                new CK_ATTRIBUTE(CKA_WRAP, true), new CK_ATTRIBUTE(CKA_TOKEN, false)}, new CK_ATTRIBUTE[] {
                new CK_ATTRIBUTE(CKA_UNWRAP, true), new CK_ATTRIBUTE(CKA_SENSITIVE, true),
                new CK_ATTRIBUTE(CKA_EXTRACTABLE, false), new CK_ATTRIBUTE(CKA_TOKEN, false)});
        CK_ATTRIBUTE[] pub = {new CK_ATTRIBUTE(CKA_MODULUS), new CK_ATTRIBUTE(CKA_PUBLIC_EXPONENT)};
        p.C_GetAttributeValue(b, pair[0], pub);
        long rsaOnSource = p.C_CreateObject(a, new CK_ATTRIBUTE[] {new CK_ATTRIBUTE(CKA_CLASS, CKO_PUBLIC_KEY),
                new CK_ATTRIBUTE(CKA_KEY_TYPE, CKK_RSA), new CK_ATTRIBUTE(CKA_MODULUS, pub[0].getByteArray()),
                new CK_ATTRIBUTE(CKA_PUBLIC_EXPONENT, pub[1].getByteArray()), new CK_ATTRIBUTE(CKA_WRAP, true),
                new CK_ATTRIBUTE(CKA_TOKEN, false)});
        try {
            byte[] w = p.C_WrapKey(a, new CK_MECHANISM(CKM_RSA_PKCS), rsaOnSource, extractable);
            p.C_UnwrapKey(b, new CK_MECHANISM(CKM_RSA_PKCS), pair[1], w, unwrapTemplate());
            System.out.println("RSA PKCS#1 v1.5 (CKM_RSA_PKCS) token to token: works (" + w.length + " bytes)");
        } catch (PKCS11Exception e) {
            System.out.println("RSA PKCS#1 v1.5 (CKM_RSA_PKCS) token to token: " + e.getMessage());
        }
        System.out.println("RSA-OAEP (CKM_RSA_PKCS_OAEP): cannot be tried: JDK 17's wrapper has no CK_MECHANISM for its parameters");

        // AES key wrap: the wrapping key would itself have to be on both tokens (tried within the source)
        long kek = p.C_GenerateKey(a, new CK_MECHANISM(CKM_AES_KEY_GEN), new CK_ATTRIBUTE[] {
                new CK_ATTRIBUTE(CKA_CLASS, CKO_SECRET_KEY), new CK_ATTRIBUTE(CKA_KEY_TYPE, CKK_AES),
                new CK_ATTRIBUTE(CKA_VALUE_LEN, 32L), new CK_ATTRIBUTE(CKA_WRAP, true),
                new CK_ATTRIBUTE(CKA_UNWRAP, true), new CK_ATTRIBUTE(CKA_TOKEN, false)});
        for (long m : new long[] {CKM_AES_KEY_WRAP, CKM_AES_KEY_WRAP_PAD}) {
            String name = m == CKM_AES_KEY_WRAP ? "CKM_AES_KEY_WRAP" : "CKM_AES_KEY_WRAP_PAD";
            try {
                byte[] w = p.C_WrapKey(a, new CK_MECHANISM(m), kek, extractable);
                p.C_UnwrapKey(a, new CK_MECHANISM(m), kek, w, unwrapTemplate());
                System.out.println(name + " wrap and unwrap: works (" + w.length + " bytes)");
            } catch (PKCS11Exception e) {
                System.out.println(name + ": " + e.getMessage());
            }
        }
        report(p, a, kek, nonExtractable, "a non-extractable key under CKM_AES_KEY_WRAP");
        report(p, a, kek, trustedOnly, "a CKA_WRAP_WITH_TRUSTED key under an untrusted wrapping key");
        try {
            p.C_SetAttributeValue(a, kek, new CK_ATTRIBUTE[] {new CK_ATTRIBUTE(CKA_TRUSTED, true)});
            System.out.println("the user marking a wrapping key CKA_TRUSTED: works");
        } catch (PKCS11Exception e) {
            System.out.println("the user marking a wrapping key CKA_TRUSTED: " + e.getMessage() + " (the SO's job)");
        }
        p.C_Logout(a);
        p.C_CloseSession(a);
        p.C_CloseSession(b);
    }

    private static long aesKey(PKCS11 p, long session, boolean extractable, boolean wrapWithTrusted) throws PKCS11Exception {
        return p.C_GenerateKey(session, new CK_MECHANISM(CKM_AES_KEY_GEN), new CK_ATTRIBUTE[] {
                new CK_ATTRIBUTE(CKA_CLASS, CKO_SECRET_KEY), new CK_ATTRIBUTE(CKA_KEY_TYPE, CKK_AES),
                new CK_ATTRIBUTE(CKA_VALUE_LEN, 32L), new CK_ATTRIBUTE(CKA_SENSITIVE, true),
                new CK_ATTRIBUTE(CKA_EXTRACTABLE, extractable), new CK_ATTRIBUTE(CKA_WRAP_WITH_TRUSTED, wrapWithTrusted),
                new CK_ATTRIBUTE(CKA_TOKEN, false)});
    }

    private static CK_ATTRIBUTE[] unwrapTemplate() {
        return new CK_ATTRIBUTE[] {new CK_ATTRIBUTE(CKA_CLASS, CKO_SECRET_KEY), new CK_ATTRIBUTE(CKA_KEY_TYPE, CKK_AES),
                new CK_ATTRIBUTE(CKA_SENSITIVE, true), new CK_ATTRIBUTE(CKA_EXTRACTABLE, false),
                new CK_ATTRIBUTE(CKA_TOKEN, false)};
    }

    private static void report(PKCS11 p, long session, long kek, long key, String what) {
        try {
            p.C_WrapKey(session, new CK_MECHANISM(CKM_AES_KEY_WRAP), kek, key);
            System.out.println(what + ": wrapped");
        } catch (PKCS11Exception e) {
            System.out.println(what + ": refused, " + e.getMessage());
        }
    }
}
