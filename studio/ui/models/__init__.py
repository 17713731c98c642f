"""Qt-free model objects behind the views: testable without a QApplication."""
