package org.microcert.persistence.card;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

class CardKeyMaterialTest {

    @Test
    void aStorageKeyVersionHasOneAliasSpelling() {
        assertEquals(2, CardKeyMaterial.storeVersionOf("microcert-k-store-v2"));
        assertEquals(17, CardKeyMaterial.storeVersionOf(CardKeyMaterial.storeAlias(17)));
        // another spelling of version 2 is not a K_store: two keys for one version would be ambiguous
        for (String other : new String[] {"microcert-k-store-v02", "microcert-k-store-v+2", "microcert-k-store-v0",
                "microcert-k-store-v-1", "microcert-k-store-v", "microcert-k-store-v2x", "microcert-k-trans"}) {
            assertEquals(-1, CardKeyMaterial.storeVersionOf(other), other);
        }
    }
}
