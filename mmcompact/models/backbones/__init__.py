from .cifar_mobilenet_v2 import CifarMobileNetV2
from .cifar_resnet import CifarResNet
from .cifar_vgg import CifarVGG
from .efficientnet_lite import EfficientNetLite

__all__ = ['CifarMobileNetV2', 'CifarResNet', 'CifarVGG', 'EfficientNetLite']
