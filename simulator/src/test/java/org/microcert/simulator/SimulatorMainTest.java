package org.microcert.simulator;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

class SimulatorMainTest {

    /** The last line of defence behind the token checks (RunCommandTest, anOperatorTokenWithALineBreak...). */
    @Test
    void aHeaderValueThatReachesAnErrorMessageIsCutFromBearerOn() {
        assertEquals("invalid header value: \"Bearer <withheld>", SimulatorMain.userMessage(
                new IllegalArgumentException("invalid header value: \"Bearer s3cret\nhalf\"")));
    }
}
