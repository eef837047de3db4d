/* Mbed TLS 2.28 configuration for the Cortex-M4 size report: only what the no-heap backend
 * (MC_MBEDTLS_NO_HEAP) calls, AES and SHA-256, in their small variants (tables in flash). */
#ifndef MC_MBEDTLS_ARM_CONFIG_H
#define MC_MBEDTLS_ARM_CONFIG_H
#define MBEDTLS_AES_C
#define MBEDTLS_AES_ROM_TABLES
#define MBEDTLS_AES_FEWER_TABLES
#define MBEDTLS_SHA256_C
#define MBEDTLS_SHA256_SMALLER
#include "mbedtls/check_config.h"
#endif
