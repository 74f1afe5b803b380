package dev.visage.sfu.dtls;

import org.bouncycastle.tls.AlertDescription;
import org.bouncycastle.tls.Certificate;
import org.bouncycastle.tls.CertificateRequest;
import org.bouncycastle.tls.CipherSuite;
import org.bouncycastle.tls.ClientCertificateType;
import org.bouncycastle.tls.DefaultTlsServer;
import org.bouncycastle.tls.ExporterLabel;
import org.bouncycastle.tls.HashAlgorithm;
import org.bouncycastle.tls.ProtocolVersion;
import org.bouncycastle.tls.SignatureAlgorithm;
import org.bouncycastle.tls.SignatureAndHashAlgorithm;
import org.bouncycastle.tls.TlsCredentialedSigner;
import org.bouncycastle.tls.TlsFatalAlert;
import org.bouncycastle.tls.TlsSRTPUtils;
import org.bouncycastle.tls.TlsUtils;
import org.bouncycastle.tls.UseSRTPData;
import org.bouncycastle.tls.crypto.TlsCertificate;
import org.bouncycastle.tls.crypto.TlsCryptoParameters;
import org.bouncycastle.tls.crypto.impl.bc.BcDefaultTlsCredentialedSigner;
import org.bouncycastle.tls.crypto.impl.bc.BcTlsCrypto;

import java.io.IOException;
import java.security.SecureRandom;
import java.util.Hashtable;
import java.util.Vector;

/**
 * DTLS 1.2 server side of DTLS-SRTP (RFC 5764): ECDSA credentials, requires the client's
 * certificate and checks it against the fingerprint from the client's SDP, negotiates use_srtp
 * (AEAD_AES_128_GCM preferred, then AES128_CM_HMAC_SHA1_80), requires extended master secret,
 * and exports the SRTP keying material when the handshake completes.
 */
final class DtlsServer extends DefaultTlsServer {
    private static final int[] PROFILE_PREFERENCE = {SrtpKeys.AEAD_AES_128_GCM, SrtpKeys.AES128_CM_HMAC_SHA1_80};

    private final DtlsCertificate identity;
    private final String remoteFingerprintAlgorithm;
    private final String remoteFingerprint;
    private int chosenProfile = -1;
    private volatile SrtpKeys keys;

    DtlsServer(BcTlsCrypto crypto, DtlsCertificate identity, String remoteFingerprintAlgorithm, String remoteFingerprint) {
        super(crypto);
        this.identity = identity;
        this.remoteFingerprintAlgorithm = remoteFingerprintAlgorithm;
        this.remoteFingerprint = remoteFingerprint;
    }

    static BcTlsCrypto newCrypto() {
        return new BcTlsCrypto(new SecureRandom());
    }

    SrtpKeys keys() {
        return keys;
    }

    @Override
    protected ProtocolVersion[] getSupportedVersions() {
        return ProtocolVersion.DTLSv12.only();
    }

    @Override
    protected int[] getSupportedCipherSuites() {
        return new int[]{
                CipherSuite.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
                CipherSuite.TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,
                CipherSuite.TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256,
                CipherSuite.TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA,
        };
    }

    @Override
    public boolean requiresExtendedMasterSecret() {
        return true;
    }

    @Override
    protected TlsCredentialedSigner getECDSASignerCredentials() throws IOException {
        TlsCertificate cert = getCrypto().createCertificate(identity.der());
        return new BcDefaultTlsCredentialedSigner(new TlsCryptoParameters(context), (BcTlsCrypto) getCrypto(),
                identity.privateKey(), new Certificate(new TlsCertificate[]{cert}),
                SignatureAndHashAlgorithm.getInstance(HashAlgorithm.sha256, SignatureAlgorithm.ecdsa));
    }

    @Override
    public CertificateRequest getCertificateRequest() {
        Vector<SignatureAndHashAlgorithm> algs = new Vector<>();
        algs.add(SignatureAndHashAlgorithm.getInstance(HashAlgorithm.sha256, SignatureAlgorithm.ecdsa));
        algs.add(SignatureAndHashAlgorithm.getInstance(HashAlgorithm.sha256, SignatureAlgorithm.rsa));
        algs.add(SignatureAndHashAlgorithm.getInstance(HashAlgorithm.sha384, SignatureAlgorithm.ecdsa));
        algs.add(SignatureAndHashAlgorithm.rsa_pss_rsae_sha256);
        return new CertificateRequest(new short[]{ClientCertificateType.ecdsa_sign, ClientCertificateType.rsa_sign},
                algs, null);
    }

    @Override
    public void notifyClientCertificate(Certificate clientCertificate) throws IOException {
        if (clientCertificate == null || clientCertificate.isEmpty()) {
            throw new TlsFatalAlert(AlertDescription.certificate_required);
        }
        byte[] der = clientCertificate.getCertificateAt(0).getEncoded();
        String actual = DtlsCertificate.fingerprint(remoteFingerprintAlgorithm, der);
        if (!actual.equalsIgnoreCase(remoteFingerprint)) {
            throw new TlsFatalAlert(AlertDescription.bad_certificate);
        }
    }

    @Override
    @SuppressWarnings({"rawtypes", "unchecked"})
    public void processClientExtensions(Hashtable clientExtensions) throws IOException {
        super.processClientExtensions(clientExtensions);
        UseSRTPData d = TlsSRTPUtils.getUseSRTPExtension(clientExtensions);
        if (d == null) {
            throw new TlsFatalAlert(AlertDescription.handshake_failure);
        }
        for (int p : PROFILE_PREFERENCE) {
            for (int offered : d.getProtectionProfiles()) {
                if (offered == p) {
                    chosenProfile = p;
                    return;
                }
            }
        }
        throw new TlsFatalAlert(AlertDescription.handshake_failure);
    }

    @Override
    @SuppressWarnings({"rawtypes", "unchecked"})
    public Hashtable getServerExtensions() throws IOException {
        Hashtable ext = TlsExtensionsUtilsShim.ensure(super.getServerExtensions());
        TlsSRTPUtils.addUseSRTPExtension(ext, new UseSRTPData(new int[]{chosenProfile}, TlsUtils.EMPTY_BYTES));
        return ext;
    }

    @Override
    public void notifyHandshakeComplete() throws IOException {
        super.notifyHandshakeComplete();
        int len = 2 * (SrtpKeys.keyLength(chosenProfile) + SrtpKeys.saltLength(chosenProfile));
        byte[] material = context.exportKeyingMaterial(ExporterLabel.dtls_srtp, null, len);
        keys = new SrtpKeys(chosenProfile, material);
    }

    /** Small helper: super.getServerExtensions() may return null. */
    static final class TlsExtensionsUtilsShim {
        @SuppressWarnings({"rawtypes"})
        static Hashtable ensure(Hashtable h) {
            return h == null ? new Hashtable() : h;
        }
    }
}
