"""Draws digits on the `mnist serve` page in a real (headless) Chromium and reports what the
page shows, as JSON on standard output: {"7": {"shown": "7", "top": [...], "input": true}, ...}.

Usage: draw_digits.py URL DIGIT... [--screenshot PATH]

The strokes go through WebDriver pointer actions, so the page sees the same pointerdown,
pointermove and pointerup events a mouse, pen or finger makes. Run by
Tests/MNISTServerTests/BrowserTests.swift; needs chromium, chromium-driver and selenium.
"""
import json
import math
import sys

from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

# Strokes per digit, in canvas fractions (0,0 top left, 1,1 bottom right), as a person draws them.
STROKES = {
    "0": [[(0.5 + 0.22 * math.sin(t / 24 * 2 * math.pi), 0.5 - 0.32 * math.cos(t / 24 * 2 * math.pi)) for t in range(25)]],
    "1": [[(0.45, 0.25), (0.55, 0.15), (0.55, 0.85)]],
    "7": [[(0.25, 0.2), (0.75, 0.2), (0.65, 0.4), (0.5, 0.85)]],
    "4": [[(0.6, 0.15), (0.25, 0.6), (0.78, 0.6)], [(0.6, 0.35), (0.6, 0.88)]],
}


def draw(driver, canvas, strokes):
    box = canvas.rect
    for stroke in strokes:
        # Offsets are from the element's centre; intermediate points make pointermove events.
        points = []
        for (x0, y0), (x1, y1) in zip(stroke, stroke[1:]):
            points += [(x0 + (x1 - x0) * k / 6, y0 + (y1 - y0) * k / 6) for k in range(6)]
        points.append(stroke[-1])
        offsets = [(round((x - 0.5) * box["width"]), round((y - 0.5) * box["height"])) for x, y in points]
        actions = ActionChains(driver, duration=10)
        actions.move_to_element_with_offset(canvas, *offsets[0]).click_and_hold()
        for offset in offsets[1:]:
            actions.move_to_element_with_offset(canvas, *offset)
        actions.release().perform()


def main():
    arguments = sys.argv[1:]
    screenshot = None
    if "--screenshot" in arguments:
        at = arguments.index("--screenshot")
        screenshot = arguments[at + 1]
        del arguments[at:at + 2]
    url, digits = arguments[0], arguments[1:]

    options = webdriver.ChromeOptions()
    options.binary_location = "/usr/bin/chromium"
    for flag in ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--window-size=1000,760"]:
        options.add_argument(flag)
    driver = webdriver.Chrome(options=options, service=Service("/usr/bin/chromedriver"))
    results = {}
    try:
        driver.set_page_load_timeout(30)
        driver.get(url)
        canvas = driver.find_element(By.ID, "canvas")
        for digit in digits:
            driver.find_element(By.ID, "clear").click()
            draw(driver, canvas, STROKES[digit])
            # The last request starts on pointerup; wait until the page has shown its answer.
            wait = WebDriverWait(driver, 20)
            wait.until(lambda d: d.find_element(By.TAG_NAME, "body").get_attribute("data-state") in ("done", "error")
                       and d.execute_script("return !inFlight && !again && !timer"))
            results[digit] = {
                "shown": driver.find_element(By.ID, "digit").text,
                "top": [item.text.replace("\n", " ") for item in driver.find_elements(By.CSS_SELECTOR, "#top li")],
                "input": driver.find_element(By.ID, "input-image").get_attribute("src").startswith("data:image/png;base64,"),
                "status": driver.find_element(By.ID, "status").text,
            }
        if screenshot:
            driver.save_screenshot(screenshot)
    finally:
        driver.quit()
    print(json.dumps(results))


if __name__ == "__main__":
    main()
