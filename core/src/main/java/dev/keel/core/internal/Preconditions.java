package dev.keel.core.internal;

import java.util.Collection;
import java.util.Objects;

/**
 * Argument checks that name the offending value, shared by every Keel module.
 *
 * <p>Each method throws an {@link IllegalArgumentException} (or {@link NullPointerException} for
 * nulls) whose message names the argument and, where it helps, the value that was given and what
 * was expected:
 *
 * <pre>{@code
 * Preconditions.checkPositive(rho, "rho");   // "rho must be > 0, was -0.1"
 * }</pre>
 */
public final class Preconditions {

    private Preconditions() {
    }

    /** Returns {@code value}, or throws a {@link NullPointerException} naming it. */
    public static <T> T notNull(T value, String name) {
        return Objects.requireNonNull(value, () -> name + " must not be null");
    }

    /** Returns {@code value} if it is neither null nor blank. */
    public static String notBlank(String value, String name) {
        notNull(value, name);
        if (value.isBlank()) {
            throw new IllegalArgumentException(name + " must not be blank, was \"" + value + "\"");
        }
        return value;
    }

    /** Returns {@code value} if it is not null, not empty, and holds no null element. */
    public static <C extends Collection<?>> C notEmpty(C value, String name) {
        notNull(value, name);
        if (value.isEmpty()) {
            throw new IllegalArgumentException(name + " must not be empty");
        }
        int i = 0;
        for (Object o : value) {
            if (o == null) {
                throw new IllegalArgumentException(name + " must not hold null elements, element " + i + " was null");
            }
            i++;
        }
        return value;
    }

    /** Returns {@code value} if it holds no null element (it may be empty). */
    public static <C extends Collection<?>> C noNulls(C value, String name) {
        notNull(value, name);
        int i = 0;
        for (Object o : value) {
            if (o == null) {
                throw new IllegalArgumentException(name + " must not hold null elements, element " + i + " was null");
            }
            i++;
        }
        return value;
    }

    /** Returns {@code value} if it is strictly positive. */
    public static int checkPositive(int value, String name) {
        if (value <= 0) {
            throw new IllegalArgumentException(name + " must be > 0, was " + value);
        }
        return value;
    }

    /** Returns {@code value} if it is finite and strictly positive. */
    public static double checkPositive(double value, String name) {
        if (!(value > 0) || Double.isInfinite(value)) {
            throw new IllegalArgumentException(name + " must be finite and > 0, was " + value);
        }
        return value;
    }

    /** Returns {@code value} if it is zero or positive. */
    public static int checkNonNegative(int value, String name) {
        if (value < 0) {
            throw new IllegalArgumentException(name + " must be >= 0, was " + value);
        }
        return value;
    }

    /** Returns {@code value} if it is finite and zero or positive. */
    public static double checkNonNegative(double value, String name) {
        if (!(value >= 0) || Double.isInfinite(value)) {
            throw new IllegalArgumentException(name + " must be finite and >= 0, was " + value);
        }
        return value;
    }

    /** Returns {@code value} if it lies in {@code [min, max]}. */
    public static double checkInRange(double value, double min, double max, String name) {
        if (!(value >= min && value <= max)) {
            throw new IllegalArgumentException(name + " must be in [" + min + ", " + max + "], was " + value);
        }
        return value;
    }

    /** Returns {@code value} if it lies in {@code [min, max]}. */
    public static int checkInRange(int value, int min, int max, String name) {
        if (value < min || value > max) {
            throw new IllegalArgumentException(name + " must be in [" + min + ", " + max + "], was " + value);
        }
        return value;
    }

    /** Throws an {@link IllegalArgumentException} with {@code message} unless {@code condition} holds. */
    public static void checkArgument(boolean condition, String message) {
        if (!condition) {
            throw new IllegalArgumentException(message);
        }
    }

    /** Throws an {@link IllegalStateException} with {@code message} unless {@code condition} holds. */
    public static void checkState(boolean condition, String message) {
        if (!condition) {
            throw new IllegalStateException(message);
        }
    }
}
