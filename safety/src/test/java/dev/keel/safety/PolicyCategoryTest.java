package dev.keel.safety;

import org.junit.jupiter.api.Test;

import java.util.Arrays;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class PolicyCategoryTest {

    @Test
    void elevenCategoriesWithStableDistinctIds() {
        assertThat(PolicyCategory.values()).hasSize(11);
        assertThat(Arrays.stream(PolicyCategory.values()).map(PolicyCategory::id).distinct().count()).isEqualTo(11);
        assertThat(PolicyCategory.ILLEGAL_ACTIVITY.id()).isEqualTo("illegal_activity");
        assertThat(PolicyCategory.TAILORED_FINANCIAL_ADVICE.number()).isEqualTo(11);
        for (PolicyCategory c : PolicyCategory.values()) {
            assertThat(c.id()).matches("[a-z_]+");
            assertThat(c.description()).isNotBlank().endsWith(".");
            assertThat(PolicyCategory.parse(c.id())).isSameAs(c);
            assertThat(PolicyCategory.parse(c.name())).isSameAs(c);
            assertThat(PolicyCategory.parse(c.displayName())).isSameAs(c);
            assertThat(PolicyCategory.parse(Integer.toString(c.number()))).isSameAs(c);
        }
    }

    @Test
    void parsingFoldsCaseAndSeparators() {
        assertThat(PolicyCategory.parse("Fraud/Deception")).isSameAs(PolicyCategory.FRAUD_DECEPTION);
        assertThat(PolicyCategory.parse(" hate-harass-violence ")).isSameAs(PolicyCategory.HATE_HARASS_VIOLENCE);
        assertThat(PolicyCategory.parse("Privacy Violation")).isSameAs(PolicyCategory.PRIVACY_VIOLATION);
    }

    @Test
    void badValueIsNamed() {
        assertThatThrownBy(() -> PolicyCategory.parse("weapons"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("\"weapons\"").hasMessageContaining("illegal_activity");
        assertThatThrownBy(() -> PolicyCategory.parse("")).hasMessageContaining("\"\"");
        assertThatThrownBy(() -> PolicyCategory.parse(null)).isInstanceOf(NullPointerException.class);
    }
}
