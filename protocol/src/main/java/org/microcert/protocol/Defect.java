package org.microcert.protocol;

/** What is wrong with a byte string that failed strict decoding. */
public enum Defect {
    /** Fewer bytes than the smallest valid encoding. */
    TOO_SHORT,
    /** More bytes than the encoding allows. */
    TOO_LONG,
    /** The length does not match what the type or fields require. */
    BAD_LENGTH,
    /** The format version is not one this implementation speaks. */
    UNKNOWN_VERSION,
    /** The certificate type code is not defined. */
    UNKNOWN_TYPE,
    /** The suite byte names no {@link CipherSuite}. */
    UNKNOWN_SUITE,
    /** The envelope kind code is not defined. */
    UNKNOWN_KIND,
    /** The command order code is not defined. */
    UNKNOWN_COMMAND,
    /** A field holds a value outside its documented range. */
    BAD_FIELD
}
