package io.emostream.video.face;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.awt.Color;
import java.awt.image.BufferedImage;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Pure pre- and post-processing of the expression classifier; no model needed. */
class ExpressionClassifierTest {

    @Test
    void softmaxOfHandComputedLogits() {
        assertThat(ExpressionClassifier.softmax(new float[] {1, 1, 1, 1}))
                .containsExactly(new float[] {0.25f, 0.25f, 0.25f, 0.25f}, within(1e-7f));
        assertThat(ExpressionClassifier.softmax(new float[] {0, (float) Math.log(3)}))
                .containsExactly(new float[] {0.25f, 0.75f}, within(1e-6f));
    }

    @Test
    void softmaxIsStableForLargeLogits() {
        assertThat(ExpressionClassifier.softmax(new float[] {1000, 1000, -1000}))
                .containsExactly(new float[] {0.5f, 0.5f, 0f}, within(1e-7f));
    }

    @Test
    void inputIsPlanarRgbScaledToMinusOneOne() {
        BufferedImage face = new BufferedImage(112, 112, BufferedImage.TYPE_INT_RGB);
        face.setRGB(0, 0, new Color(255, 0, 51).getRGB());
        face.setRGB(111, 111, new Color(0, 255, 0).getRGB());

        float[] input = ExpressionClassifier.toInput(List.of(face, face));

        int plane = 112 * 112;
        assertThat(input).hasSize(2 * 3 * plane);
        // (255/255 - 0.5) / 0.5 = 1; 0 -> -1; (51/255 - 0.5) / 0.5 = -0.6
        assertThat(new float[] {input[0], input[plane], input[2 * plane]})
                .containsExactly(new float[] {1f, -1f, -0.6f}, within(1e-6f));
        assertThat(input[2 * plane - 1]).isEqualTo(1f);
        assertThat(input[3 * plane]).isEqualTo(1f);
    }

    @Test
    void rejectsFacesThatAreNotAligned112() {
        BufferedImage wrong = new BufferedImage(100, 112, BufferedImage.TYPE_INT_RGB);

        assertThatThrownBy(() -> ExpressionClassifier.toInput(List.of(wrong)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("100x112");
    }
}
