"""Draws the integration's brand images (custom_components/…/brand/*.png).

`scripts/run python -m demo.brand` — a home battery with a charge bolt; icon 256 px (and @2x),
logo with the name beside it. Drawn here rather than taken from anyone's artwork.
"""

from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

BRAND = (
    Path(__file__).resolve().parent.parent / "custom_components" / "homevolt_local_api" / "brand"
)
TEAL, DARK, WHITE = (0, 164, 166, 255), (23, 37, 52, 255), (255, 255, 255, 255)


def draw_icon(size: int) -> Image.Image:
    scale = size / 256
    image = Image.new("RGBA", (size, size), (0, 0, 0, 0))
    draw = ImageDraw.Draw(image)

    def s(*values: float) -> list[float]:
        return [value * scale for value in values]

    # A house-shaped battery: roof, body, terminal, and a bolt.
    draw.polygon(s(128, 16, 240, 104, 16, 104), fill=TEAL)
    draw.rounded_rectangle(s(40, 96, 216, 240), radius=18 * scale, fill=TEAL)
    draw.rounded_rectangle(s(62, 118, 194, 218), radius=10 * scale, fill=WHITE)
    draw.polygon(s(138, 126, 92, 176, 124, 176, 112, 212, 164, 156, 130, 156, 146, 126), fill=DARK)
    return image


def draw_logo(height: int, dark: bool = False) -> Image.Image:
    icon = draw_icon(height)
    font_size = int(height * 0.36)
    try:
        font = ImageFont.truetype("DejaVuSans-Bold.ttf", font_size)
    except OSError:
        font = ImageFont.load_default(font_size)
    text = "Homevolt Local"
    width = height + int(font.getlength(text)) + height // 4
    image = Image.new("RGBA", (width, height), (0, 0, 0, 0))
    image.paste(icon, (0, 0), icon)
    ImageDraw.Draw(image).text(
        (height + height // 8, height // 2),
        text,
        font=font,
        anchor="lm",
        fill=WHITE if dark else DARK,
    )
    return image


def main() -> None:
    BRAND.mkdir(exist_ok=True)
    draw_icon(256).save(BRAND / "icon.png")
    draw_icon(512).save(BRAND / "icon@2x.png")
    draw_logo(128).save(BRAND / "logo.png")
    draw_logo(256).save(BRAND / "logo@2x.png")
    draw_logo(128, dark=True).save(BRAND / "dark_logo.png")
    draw_logo(256, dark=True).save(BRAND / "dark_logo@2x.png")
    for path in sorted(BRAND.glob("*.png")):
        print(f"brand: wrote {path.name} {Image.open(path).size}")


if __name__ == "__main__":
    main()
