package dev.visage.core.room;

import org.junit.jupiter.api.Test;

import java.util.HashSet;
import java.util.List;
import java.util.Optional;

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
    void capitalsAreFoldedToTheLowerCaseName() {
        assertEquals("weekly-sync", RoomUrlName.checked("Weekly-Sync"));
        assertEquals("team-42", RoomUrlName.checked(" TEAM-42 "));
        assertEquals(Optional.of("weekly-sync"), RoomUrlName.folded("Weekly-Sync"));
        assertEquals(Optional.empty(), RoomUrlName.folded("weekly-sync"), "already folded");
        assertEquals(Optional.empty(), RoomUrlName.folded("Weekly_Sync"), "no URL name once folded");
        assertEquals(Optional.empty(), RoomUrlName.folded("ÉTÉ-2026"), "no URL name once folded");
    }

    @Test
    void aBaseCutToFitLosesItsTrailingDash() {
        String base = "a".repeat(45) + "-bc"; // 48: "-2" cuts it to 46 chars, ending in the dash
        assertEquals("a".repeat(45) + "-2", RoomUrlName.variants(base).get(0));
    }
}
