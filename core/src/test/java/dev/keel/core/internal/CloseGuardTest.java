package dev.keel.core.internal;

import org.junit.jupiter.api.Test;

import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class CloseGuardTest {

    @Test
    void closeWaitsForTheCallInFlightThenRefusesNewCalls() throws Exception {
        CloseGuard g = new CloseGuard("thing");
        AtomicBoolean released = new AtomicBoolean();
        AtomicBoolean releasedDuringCall = new AtomicBoolean();
        CountDownLatch inside = new CountDownLatch(1);
        CountDownLatch leave = new CountDownLatch(1);
        Thread caller = new Thread(() -> {
            try (CloseGuard.Call c = g.enter()) {
                inside.countDown();
                leave.await(10, TimeUnit.SECONDS);
                releasedDuringCall.set(released.get());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        caller.start();
        inside.await(10, TimeUnit.SECONDS);
        Thread closer = new Thread(() -> g.close(() -> released.set(true)));
        closer.start();
        closer.join(200);
        assertThat(closer.isAlive()).as("close waits for the call").isTrue();
        assertThat(g.isClosed()).isTrue();
        assertThatThrownBy(g::enter).isInstanceOf(IllegalStateException.class).hasMessage("thing is closed");
        leave.countDown();
        closer.join(10_000);
        caller.join(10_000);
        assertThat(released).isTrue();
        assertThat(releasedDuringCall).as("nothing released while the call ran").isFalse();
    }

    @Test
    void releaseRunsOnceAndCallsNest() {
        CloseGuard g = new CloseGuard("thing");
        try (CloseGuard.Call outer = g.enter(); CloseGuard.Call inner = g.enter()) {
            assertThatThrownBy(() -> g.close(() -> { })).isInstanceOf(IllegalStateException.class)
                    .hasMessage("thing cannot be closed from inside one of its own calls");
        }
        AtomicInteger runs = new AtomicInteger();
        g.close(runs::incrementAndGet);
        g.close(runs::incrementAndGet);
        assertThat(runs).hasValue(1);
        assertThatThrownBy(g::checkOpen).isInstanceOf(IllegalStateException.class);
    }
}
