package dev.visage.core.room;

import org.junit.jupiter.api.Test;

import java.util.HashSet;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class RoomUrlNameTest {

    @Test
    void everyVariantOfATakenNameIsADistinctValidUrlNameStartingWithIt() {
        for (String taken : List.of("abc", "weekly-sync", "x".repeat(RoomUrlName.MAX_LENGTH), "a".repeat(44) + "-bcd")) {
            List<String> variants = RoomUrlName.variants(taken);

            assertEquals(variants.size(), new HashSet<>(variants).size(), "distinct: " + variants);
            for (String variant : variants) {
                assertEquals(variant, RoomUrlName.checked(variant));
                assertTrue(variant.startsWith(taken.substring(0, Math.min(taken.length(), 40))), variant);
            }
        }
        assertEquals("weekly-sync-2", RoomUrlName.variants("weekly-sync").get(0));
    }

    @Test
    void aBaseCutToFitLosesItsTrailingDash() {
        String base = "a".repeat(45) + "-bc"; // 48: "-2" cuts it to 46 chars, ending in the dash
        assertEquals("a".repeat(45) + "-2", RoomUrlName.variants(base).get(0));
    }
}
